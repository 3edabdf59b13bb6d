-- wrk -s bench/loopback.lua URL: connects to 127.0.0.1 at the URL's port whatever host the URL
-- names, as curl's --resolve NAME:PORT:127.0.0.1 does. The name stays the one wrk sends as the TLS
-- server name (SNI) and in the Host header, so that a server choosing by name (Chatière's proxy)
-- answers, and no /etc/hosts entry is needed.
function wrk.resolve(host, service)
  wrk.addrs = wrk.lookup("127.0.0.1", service)
end
