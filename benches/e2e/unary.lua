-- One unary Connect call per request: POST application/proto with a small message
-- (`message Text { string text = 1; }` holding "hello, world").
wrk.method = "POST"
wrk.headers["content-type"] = "application/proto"
wrk.headers["connect-protocol-version"] = "1"
wrk.body = "\010\012hello, world"
