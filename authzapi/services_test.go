package authzapi_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/iamd/iamd/authzclient"
)

const ordersDefinition = `{
  "prefix": "orders",
  "name": "Example Orders",
  "actions": [
    {"name": "GetOrder", "accessLevel": "Read", "resourceTypes": [{"name": "order", "required": true}]},
    {"name": "ListOrders", "accessLevel": "List"}
  ],
  "resourceTypes": [{"name": "order", "arn": "arn:${Partition}:orders:${Region}:${Account}:order/${OrderId}"}],
  "conditionKeys": []
}`

func TestServiceDefinitions(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	root := authzclient.New(f.srv.Endpoint(), credentials.NewStaticCredentialsProvider(rootKey, rootSec, ""))

	info, err := root.PutServiceDefinition(ctx, []byte(ordersDefinition))
	if err != nil || info.Prefix != "orders" || info.CreateDate.IsZero() {
		t.Fatalf("PutServiceDefinition = %+v, %v", info, err)
	}
	list, err := root.ListServiceDefinitions(ctx)
	if err != nil || len(list) != 1 || list[0].Prefix != "orders" {
		t.Fatalf("ListServiceDefinitions = %+v, %v", list, err)
	}
	got, err := root.GetServiceDefinition(ctx, "orders")
	if err != nil || len(got.Definition) == 0 {
		t.Fatalf("GetServiceDefinition = %+v, %v", got, err)
	}
	good := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"orders:GetOrder","Resource":"arn:aws:orders:eu-west-1:` + acct + `:order/1"}]}`
	if fs, err := root.ValidatePolicy(ctx, good, "IDENTITY_POLICY"); err != nil || len(fs) != 0 {
		t.Fatalf("ValidatePolicy(good) = %+v, %v", fs, err)
	}
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"orders:ShipOrder","Resource":"*"}]}`
	if fs, err := root.ValidatePolicy(ctx, bad, "IDENTITY_POLICY"); err != nil || len(fs) == 0 {
		t.Fatalf("ValidatePolicy(unknown action) = %+v, %v", fs, err)
	}
	_, err = root.PutServiceDefinition(ctx, []byte(`{"prefix":"s3","name":"S3","actions":[{"name":"A","accessLevel":"Read"}]}`))
	wantErr(t, err, "InvalidInput", "request")
	_, err = f.client(t, acct+"/service").ListServiceDefinitions(ctx)
	wantErr(t, err, "AccessDenied", "caller")
	if err := root.DeleteServiceDefinition(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetServiceDefinition(ctx, "orders")
	wantErr(t, err, "NoSuchEntity", "request")
}
