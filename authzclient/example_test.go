package authzclient_test

import (
	"errors"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/iamd/iamd/authzclient"
)

// A service authorizes each request it receives: iamd verifies the
// client's signature and decides the action.
func ExampleClient_Authorize() {
	client := authzclient.New("http://127.0.0.1:9393",
		credentials.NewStaticCredentialsProvider("AKIA...", "service secret", ""))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dec, err := client.Authorize(r.Context(), &authzclient.AuthorizeRequest{
			Subject: authzclient.Subject{SignedRequest: authzclient.ForwardRequest(r)},
			Check:   authzclient.Check{Action: "orders:GetOrder", Resource: "arn:aws:orders:eu-west-1:123456789012:order/42"},
		})
		var ae *authzclient.Error
		switch {
		case errors.As(err, &ae) && ae.Source == "subject":
			http.Error(w, ae.Code, http.StatusForbidden) // the client's credentials or signature
		case err != nil:
			http.Error(w, "authorization unavailable", http.StatusServiceUnavailable)
		case !dec.Allowed:
			http.Error(w, "AccessDenied", http.StatusForbidden)
		default:
			w.Write([]byte("order 42 for " + dec.Principal.ARN))
		}
	})
	_ = http.ListenAndServe("127.0.0.1:8080", handler)
}
