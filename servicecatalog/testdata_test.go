package servicecatalog

import "testing"

const exampleDefinition = `{
  "prefix": "orders",
  "name": "Example Orders",
  "actions": [
    {"name": "GetOrder", "accessLevel": "Read",
     "resourceTypes": [{"name": "order", "required": true}],
     "conditionKeys": ["orders:Channel"]},
    {"name": "ListOrders", "accessLevel": "List"},
    {"name": "CancelOrder", "accessLevel": "Write",
     "resourceTypes": [{"name": "order", "required": true, "conditionKeys": ["orders:Reason"]}]},
    {"name": "TagOrder", "accessLevel": "Tagging",
     "resourceTypes": [{"name": "order", "required": true}],
     "conditionKeys": ["aws:RequestTag/${TagKey}", "aws:TagKeys"]}
  ],
  "resourceTypes": [
    {"name": "order", "arn": "arn:${Partition}:orders:${Region}:${Account}:order/${OrderId}",
     "conditionKeys": ["aws:ResourceTag/${TagKey}", "orders:Status"]}
  ],
  "conditionKeys": [
    {"name": "orders:Channel", "type": "String"},
    {"name": "orders:Reason", "type": "String"},
    {"name": "orders:Status", "type": "String"}
  ]
}`

func mustParse(tb testing.TB, def string) *Service {
	tb.Helper()
	s, err := ParseDefinition([]byte(def))
	if err != nil {
		tb.Fatalf("ParseDefinition: %v", err)
	}
	return s
}
