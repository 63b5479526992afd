#!/usr/bin/env bash
# The README's aws CLI walk-through, run by TestAWSCLIWalkthrough against a
# real server with both the pip-installed aws CLI v1 and Debian's v2.
# Needs: ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY in the environment.
set -euo pipefail
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
iam() { aws --endpoint-url "$ENDPOINT" --output text iam "$@"; }

# Who am I? (the root user)
aws --endpoint-url "$ENDPOINT" --output text sts get-caller-identity --query Arn

# A user with a tag, in a group, with an access key.
iam create-user --user-name alice --tags Key=team,Value=core --query User.Arn
iam create-group --group-name developers --query Group.Arn
iam add-user-to-group --group-name developers --user-name alice
iam get-group --group-name developers --query 'Users[].UserName'
KEY=$(iam create-access-key --user-name alice --query 'AccessKey.[AccessKeyId,SecretAccessKey]')
read -r ALICE_KEY ALICE_SECRET <<<"$KEY"

# alice's key works (sts get-caller-identity needs no permission) ...
AWS_ACCESS_KEY_ID=$ALICE_KEY AWS_SECRET_ACCESS_KEY=$ALICE_SECRET \
  aws --endpoint-url "$ENDPOINT" --output text sts get-caller-identity --query Arn
# ... but she may not call IAM until a policy allows it.
if AWS_ACCESS_KEY_ID=$ALICE_KEY AWS_SECRET_ACCESS_KEY=$ALICE_SECRET \
  aws --endpoint-url "$ENDPOINT" iam list-users 2>err.txt; then
  echo "alice could list users" >&2; exit 1
fi
grep -o 'AccessDenied' err.txt

# Attach an AWS managed policy: now she may read IAM, and still not write it.
iam attach-user-policy --user-name alice --policy-arn arn:aws:iam::aws:policy/IAMReadOnlyAccess
AWS_ACCESS_KEY_ID=$ALICE_KEY AWS_SECRET_ACCESS_KEY=$ALICE_SECRET \
  aws --endpoint-url "$ENDPOINT" --output text iam list-users --query 'Users[].UserName'
if AWS_ACCESS_KEY_ID=$ALICE_KEY AWS_SECRET_ACCESS_KEY=$ALICE_SECRET \
  aws --endpoint-url "$ENDPOINT" iam create-user --user-name mallory 2>err.txt; then
  echo "alice could create a user" >&2; exit 1
fi
grep -o 'no identity-based policy allows the iam:CreateUser action' err.txt
iam detach-user-policy --user-name alice --policy-arn arn:aws:iam::aws:policy/IAMReadOnlyAccess

iam list-users --query 'Users[].UserName'
iam list-access-keys --user-name alice --query 'AccessKeyMetadata[].Status'

# Clean up: AWS requires keys and memberships gone before the user.
iam delete-access-key --user-name alice --access-key-id "$ALICE_KEY"
iam remove-user-from-group --group-name developers --user-name alice
iam delete-user --user-name alice
iam delete-group --group-name developers
iam list-users --query 'length(Users)'
