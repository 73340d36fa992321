#pragma once
// The test zone "the internet" serves: ordinary names, aliases (one into a steered console name),
// a large TXT RRset for truncation, short TTLs for decay and serve-stale, and 60 generated hosts
// for the differential test against unbound.
#include <string>

namespace consolegate::dns::test {

inline std::string example_zone() {
    std::string z =
        "$ORIGIN example.test.\n$TTL 300\n"
        "@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 120\n"
        "@ IN NS ns\nns IN A 127.0.0.1\n"
        "www IN A 198.51.100.1\nwww IN AAAA 2001:db8::1\n"
        "alias IN CNAME www\n"
        "steer-alias IN CNAME eu-west-1.console.aws.amazon.com.\n"
        "short 2 IN A 198.51.100.2\n"
        "decay 100 IN A 198.51.100.3\n"
        "popular 20 IN A 198.51.100.5\n"
        "mx IN MX 10 mail\nmail IN A 198.51.100.4\n"
        // Shapes for the differential test: a wildcard, a DNAME, TTL 0, a type nobody knows,
        // HTTPS/SVCB for ordinary names, a name with a dot inside a label.
        "*.wild IN A 198.51.100.7\n*.wild IN TXT \"wild\"\n"
        "dname IN DNAME www-zone.example.test.\nx.www-zone IN A 198.51.100.8\n"
        "w.www-zone IN A 198.51.100.11\ntoapex IN CNAME example.test.\n"
        "zero 0 IN A 198.51.100.9\nzero-alias 0 IN CNAME www\n"
        "unknown IN TYPE65534 \\# 4 01020304\n"
        "svc IN HTTPS 1 . alpn=h2 ipv4hint=198.51.100.1\nsvc IN SVCB 1 www.example.test.\n"
        "esc\\.dot IN A 198.51.100.10\n"
        "nodata-alias IN CNAME www\ndangling IN CNAME nothere\n"
        // Chains nsd cannot finish (a target outside its zone, one below a delegation): unbound
        // asks for the last name itself.
        "outside IN CNAME www.example.org.\noutside2 IN CNAME outside\n"
        "tochild IN CNAME x.deleg\ntochild2 IN CNAME tochild\n"
        // an alias whose target no question asks for itself (differential.py: unbound holds
        // what its restart for the target got)
        "fresh-alias IN CNAME fresh\nfresh IN A 198.51.100.12\nfresh IN AAAA 2001:db8::12\n"
        "fresh IN MX 10 mail\n"
        // CNAME loops (nsd follows them once round): unbound restarts until it gives up.
        "loop1 IN CNAME loop2\nloop2 IN CNAME loop1\nloop0 IN CNAME loop1\n"
        // Records that name a host (nsd adds its addresses): unbound's scrub keeps them for SRV
        // and KX, not for NAPTR (iter_scrub.c has_additional).
        "_sip._tcp IN SRV 0 5 5060 mail\nkx IN KX 10 mail\n"
        "tolocal IN CNAME x.invalid.\ntolocal2 IN CNAME host.localhost.\n"
        "naptr IN NAPTR 100 10 \"S\" \"SIP+D2T\" \"\" _sip._tcp\nnaptr2 IN NAPTR 1 1 \"A\" \"\" "
        "\"\" mail\n"
        // A delegation: a referral keeps its NS and glue through unbound's minimal-responses.
        "deleg IN NS ns.deleg\nns.deleg IN A 127.0.0.1\n"
        // An alias of the large TXT RRset, for truncation with the RRsets that fit.
        "chainbig IN CNAME big\n"
        // A name the tests steer (steered.example.test) behind a chain longer than any fixed
        // depth and as an MX target: nsd hands its real address along in both answers.
        "steered IN A 198.51.100.66\nmx-steered IN MX 10 steered\n";
    // Ten MX targets with both addresses: the answer fits 512 bytes, with the additional
    // section it does not (RFC 2181 §9: no TC for that).
    for (int i = 0; i < 10; ++i) {
        const auto n = std::to_string(i);
        z += "mxmany IN MX " + n + " m" + n + "\nm" + n + " IN A 198.51.100." + n + "\nm" + n +
             " IN AAAA 2001:db8::" + n + "\n";
    }
    for (int i = 0; i < 24; ++i) {
        z += "link" + std::to_string(i) + " IN CNAME " +
             (i + 1 < 24 ? "link" + std::to_string(i + 1) : std::string("steered")) + "\n";
    }
    // Chains of 12 and 11 links to www, all in nsd's answer: unbound asks again for each link
    // and gives up after 11 (SERVFAIL for the first).
    for (const auto& [prefix, links] : {std::pair{"twelve", 12}, std::pair{"eleven", 11}}) {
        for (int i = 0; i < links; ++i) {
            z += prefix + std::to_string(i) + " IN CNAME " +
                 (i + 1 < links ? prefix + std::to_string(i + 1) : std::string("www")) + "\n";
        }
    }
    for (int i = 0; i < 6; ++i) {  // ~700 bytes: more than 512, less than 1232
        z += "medium IN TXT \"" + std::to_string(i) + std::string(100, 'x') + "\"\n";
    }
    for (int i = 0; i < 20; ++i) {
        z += "big IN TXT \"" + std::to_string(i) + std::string(100, 'x') + "\"\n";
    }
    // An answer near the 64 KiB a TCP message holds (about 62 KB), and a CNAME to itself.
    for (int i = 0; i < 230; ++i) {
        z += "huge IN TXT \"" + std::to_string(1000 + i) + std::string(250, 'y') + "\"\n";
    }
    z += "self IN CNAME self\n";
    // A referral whose glue fills more than 512 bytes: a client gets the glue RRsets that fit.
    for (int i = 1; i <= 12; ++i) {
        const auto n = std::to_string(i);
        const auto ns = "ns" + n + ".a-long-label-for-glue-space.bigdeleg";
        z += "bigdeleg IN NS " + ns + "\n" + ns + " IN A 192.0.2." + n + "\n" + ns +
             " IN AAAA 2001:db8::" + n + "\n";
    }
    for (int i = 0; i < 60; ++i) {
        const auto n = std::to_string(i);
        z += "h" + n + " IN A 10.0." + n + ".1\n";
        if (i % 2 == 0) z += "h" + n + " IN AAAA 2001:db8::" + n + "\n";
        if (i % 3 == 0) z += "h" + n + " IN TXT \"host " + n + "\"\n";
        if (i % 5 == 0) z += "h" + n + " IN MX " + n + " h" + n + "\n";
        z += "c" + n + " IN CNAME h" + n + "\n";
    }
    return z;
}

}  // namespace consolegate::dns::test
