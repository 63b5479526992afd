// Command signreq prints a wrk Lua script that replays one SigV4-signed AWS
// Query request. SigV4 has no nonce, so AWS (and iamd) accept the same
// signed request for as long as its X-Amz-Date is within the 15-minute skew
// window: a load run shorter than that measures the full verification path
// on every request.
//
//	go run ./bench/signreq -endpoint http://127.0.0.1:9393 -service sts -action GetCallerIdentity > gci.lua
//	wrk -t2 -c64 -d10s -s gci.lua http://127.0.0.1:9393/
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9393", "server base URL")
	service := flag.String("service", "sts", "iam or sts")
	action := flag.String("action", "GetCallerIdentity", "Query action")
	params := flag.String("params", "", "extra form parameters, e.g. UserName=alice")
	keyID := flag.String("key", os.Getenv("AWS_ACCESS_KEY_ID"), "access key ID")
	secret := flag.String("secret", os.Getenv("AWS_SECRET_ACCESS_KEY"), "secret access key")
	flag.Parse()

	version := "2011-06-15"
	if *service == "iam" {
		version = "2010-05-08"
	}
	form := url.Values{"Action": {*action}, "Version": {version}}
	if *params != "" {
		extra, err := url.ParseQuery(*params)
		if err != nil {
			log.Fatal(err)
		}
		for k, v := range extra {
			form[k] = v
		}
	}
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, *endpoint+"/", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: *keyID, SecretAccessKey: *secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), *service, "us-east-1", time.Now()); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrk.method = %q\n", req.Method)
	fmt.Printf("wrk.body = %q\n", body)
	for _, h := range []string{"Content-Type", "X-Amz-Date", "Authorization"} {
		fmt.Printf("wrk.headers[%q] = %q\n", h, req.Header.Get(h))
	}
}
