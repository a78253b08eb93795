module connectengine.local/bench/peers/connect-go

go 1.24.0

require (
	connectengine.local/bench/peers/echov1 v0.0.0
	connectrpc.com/connect v1.19.1
)

require google.golang.org/protobuf v1.36.10 // indirect

// Generated from benches/proto/echo.proto by scripts/build-peers.sh (buf generate).
replace connectengine.local/bench/peers/echov1 => ../../../.cache/peers/gen/go
