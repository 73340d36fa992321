// Asio, Asio's SSL layer and Beast, compiled once for the whole project
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION on cg_asio's interface):
// every other translation unit includes only declarations, which keeps 2-core builds short.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
