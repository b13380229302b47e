// HTTP/1.1 keep-alive server (Boost.Beast on Asio): accepts connections,
// reads one request at a time per connection, hands it to the Router, and
// writes the reply when the router's callback fires (from any thread).
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "api/router.hpp"

namespace ballast::api {

class HttpServer {
public:
    // Binds at once; throws if the address is taken. Port 0 picks a free port.
    HttpServer(Router& router, const std::string& host, unsigned short port, unsigned threads);
    ~HttpServer();

    unsigned short port() const { return port_; }
    void start();
    // Stops accepting and closes every connection; replies still in flight are dropped.
    void stop();

private:
    void accept();

    Router& router_;
    unsigned threads_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::vector<std::thread> workers_;
};

}  // namespace ballast::api
