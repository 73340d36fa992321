"""A throwaway Kerberos realm for bench/proxy/negotiate.sh: tests/support/kerberos/kdc.py's KDC
with the proxy's service principal HTTP/proxy.test and one user with a ticket. Writes shell
assignments (KEYTAB, PRINCIPAL, KRB5_CONFIG, KRB5RCACHEDIR, KRB5CCNAME) to the file named by
argv[1], then holds the KDC until SIGTERM or SIGINT, and removes the realm."""
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../tests/support/kerberos"))
import kdc as kdc_fixture  # noqa: E402

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
realm = kdc_fixture.Kdc()
try:
    keytab = realm.add_service("HTTP/proxy.test")
    realm.add_user("bench", "bench-pw")
    cc = realm.kinit("bench", "bench-pw")
    env = realm.env()
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("KEYTAB=%s\nPRINCIPAL=HTTP/proxy.test@%s\nKRB5_CONFIG=%s\nKRB5RCACHEDIR=%s\n"
                "KRB5CCNAME=%s\n" % (keytab, realm.realm, env["KRB5_CONFIG"],
                                     env["KRB5RCACHEDIR"], cc))
    os.rename(tmp, sys.argv[1])
    stop.wait(3600)  # bounded: a forgotten realm goes away within the hour
finally:
    realm.close()
