module github.com/iamd/iamd/bench/minio

go 1.26.0

require github.com/iamd/iamd v0.0.0

require (
	github.com/goccy/go-json v0.10.5 // indirect
	github.com/minio/minio-go/v7 v7.0.88 // indirect
	github.com/minio/pkg/v3 v3.1.3
)

replace github.com/iamd/iamd => ../..
