#!/usr/bin/env python3
"""AWS wire-compatibility sweep of a running iamd with boto3 (and the aws CLI).

Usage:
    python3 bench/compat/sweep.py --endpoint http://127.0.0.1:19601 \
        --credentials /tmp/compat-data/root-credentials [--verbose] [--no-cli] [--only round1|round2]

Round 2 (sweep_round2, cli_checks_round2) pages every List* operation by hand
and with botocore's paginators (MaxItems=0, corrupt and foreign Markers,
markers of long ARNs), tags every taggable entity, pushes the quotas (managed
policies per role and group, inline policy totals, trust policy size, SSH
keys, signing certificates, service-specific credentials), checks the
per-entity NoSuchEntity/EntityAlreadyExists/DeleteConflict wording, the
server's own ValidationError wording with client-side validation off,
MalformedPolicyDocument messages, GetAccountAuthorizationDetails contents,
GetAccountSummary counts and quotas, outbound web identity federation, STS
error documents and GetCallerIdentity per credential type, and the aws CLI's
own --max-items/--starting-token over several listings.

Every call's parsed answer is checked against botocore's output shape (required
members present, member types right, timestamps parsed), and every expected
error against AWS's documented code, HTTP status and (where AWS documents it)
message. The script creates its entities under a random prefix and deletes
them afterwards, so it can run against a server repeatedly. It exits 1 when a
check fails and prints one line per discrepancy.
"""

import argparse
import configparser
import datetime
import json
import os
import random
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

FAILS = []
PASSES = 0
VERBOSE = False


def fail(what, detail):
    FAILS.append((what, detail))
    print(f"FAIL {what}: {detail}")


def ok(what):
    global PASSES
    PASSES += 1
    if VERBOSE:
        print(f"ok   {what}")


# ---------------------------------------------------------------- shapes


def check_shape(path, shape, value, problems):
    """Walks value (botocore's parsed output) against shape."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            problems.append(f"{path}: want structure, got {type(value).__name__}")
            return
        for req in shape.required_members:
            if req not in value:
                problems.append(f"{path}.{req}: required member missing")
        for k, v in value.items():
            if k == "ResponseMetadata":
                continue
            if k not in shape.members:
                problems.append(f"{path}.{k}: not a member of {shape.name}")
                continue
            check_shape(f"{path}.{k}", shape.members[k], v, problems)
    elif t == "list":
        if not isinstance(value, list):
            problems.append(f"{path}: want list, got {type(value).__name__}")
            return
        for i, v in enumerate(value):
            check_shape(f"{path}[{i}]", shape.member, v, problems)
    elif t == "map":
        if not isinstance(value, dict):
            problems.append(f"{path}: want map, got {type(value).__name__}")
            return
        for k, v in value.items():
            check_shape(f"{path}[{k}]", shape.value, v, problems)
    elif t == "string":
        if isinstance(value, dict) and "olicyDocument" in shape.name:
            # botocore's json_decode_policies handler turns the URL-encoded
            # policy documents into dicts after parsing.
            return
        if not isinstance(value, str):
            problems.append(f"{path}: want string, got {type(value).__name__}")
            return
        enum = shape.enum
        # iamd answers "IAM Policy" etc. for SourcePolicyType, as real
        # simulations do, rather than the model's enumeration.
        if enum and value not in enum and shape.name != "PolicySourceType":
            problems.append(f"{path}: {value!r} not in enum {shape.name}")
        if shape.name == "publicKeyFingerprintType":
            # AWS's MD5 fingerprints are 47 characters (16 bytes in colon
            # hex) although the model says 48.
            return
        mx = shape.metadata.get("max")
        mn = shape.metadata.get("min")
        if mx is not None and len(value) > mx:
            problems.append(f"{path}: length {len(value)} > max {mx}")
        if mn is not None and len(value) < mn:
            problems.append(f"{path}: length {len(value)} < min {mn}")
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: want integer, got {type(value).__name__}")
    elif t == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: want boolean, got {type(value).__name__}")
    elif t == "timestamp":
        if not isinstance(value, datetime.datetime):
            problems.append(f"{path}: want timestamp, got {type(value).__name__} {value!r}")
        elif value.tzinfo is None:
            problems.append(f"{path}: timestamp without zone")
    elif t == "blob":
        if not isinstance(value, (bytes, bytearray)):
            problems.append(f"{path}: want blob, got {type(value).__name__}")


def call(client, op, what=None, **kw):
    """Calls op, checks the answer's shape and returns it (None on error)."""
    what = what or f"{client.meta.service_model.service_name}.{op}"
    py = botocore.xform_name(op)
    try:
        out = getattr(client, py)(**kw)
    except ClientError as e:
        fail(what, f"unexpected error {e.response['Error'].get('Code')}: {e.response['Error'].get('Message')}")
        return None
    except Exception as e:  # noqa: BLE001 - any parse failure is a finding
        fail(what, f"client raised {type(e).__name__}: {e}")
        return None
    om = client.meta.service_model.operation_model(op)
    problems = []
    if om.output_shape is not None:
        check_shape(op, om.output_shape, out, problems)
    status = out["ResponseMetadata"]["HTTPStatusCode"]
    if status != 200:
        problems.append(f"HTTP {status}")
    if not out["ResponseMetadata"].get("RequestId"):
        problems.append("no RequestId")
    if problems:
        fail(what, "; ".join(problems))
    else:
        ok(what)
    return out


def expect_error(client, op, code, status, message=None, what=None, contains=None, **kw):
    """Calls op expecting an AWS error with code and HTTP status (and message)."""
    what = what or f"{client.meta.service_model.service_name}.{op} -> {code}"
    py = botocore.xform_name(op)
    try:
        getattr(client, py)(**kw)
    except ClientError as e:
        err = e.response["Error"]
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        problems = []
        if err.get("Code") != code:
            problems.append(f"code {err.get('Code')!r}, want {code!r}")
        if got_status != status:
            problems.append(f"HTTP {got_status}, want {status}")
        msg = err.get("Message", "")
        if message is not None and msg != message:
            problems.append(f"message {msg!r}, want {message!r}")
        if contains is not None and contains not in msg:
            problems.append(f"message {msg!r} lacks {contains!r}")
        if not e.response["ResponseMetadata"].get("RequestId"):
            problems.append("no RequestId")
        if err.get("Type") not in ("Sender", "Receiver"):
            problems.append(f"Type {err.get('Type')!r}")
        if problems:
            fail(what, "; ".join(problems))
        else:
            ok(what)
        return
    except botocore.exceptions.ParamValidationError as e:
        fail(what, f"botocore refused the input client-side: {e}")
        return
    fail(what, f"succeeded, want {code} {status}")


def expect(what, cond, detail=""):
    if cond:
        ok(what)
    else:
        fail(what, detail)


def rname(n=8):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


# ---------------------------------------------------------------- documents

ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
ALLOW_ALL_IAM = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:*", "sts:*"], "Resource": "*"}]})


def trust(account, extra=None):
    st = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}
    if extra:
        st["Condition"] = extra
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


# ---------------------------------------------------------------- the sweep


def sweep(iam, sts, endpoint, creds, session_factory):
    p = "c" + rname(6)
    ident = call(sts, "GetCallerIdentity", "sts.GetCallerIdentity(root)")
    account = ident["Account"]
    expect("root GetCallerIdentity Arn", ident["Arn"] == f"arn:aws:iam::{account}:root", ident["Arn"])
    expect("root GetCallerIdentity UserId", ident["UserId"] == account, ident["UserId"])

    # ---- users
    u = f"{p}-alice"
    out = call(iam, "CreateUser", UserName=u, Path="/eng/", Tags=[{"Key": "team", "Value": "core"}])
    if out:
        expect("CreateUser Path", out["User"]["Path"] == "/eng/")
        expect("CreateUser UserId prefix", out["User"]["UserId"].startswith("AIDA"), out["User"]["UserId"])
        expect("CreateUser Arn", out["User"]["Arn"] == f"arn:aws:iam::{account}:user/eng/{u}", out["User"]["Arn"])
        expect("CreateUser Tags echoed", out["User"].get("Tags") == [{"Key": "team", "Value": "core"}], out["User"].get("Tags"))
    expect_error(iam, "CreateUser", "EntityAlreadyExists", 409, f"User with name {u} already exists.", UserName=u)
    expect_error(iam, "CreateUser", "EntityAlreadyExists", 409, what="CreateUser case-insensitive dup", UserName=u.upper())
    expect_error(iam, "GetUser", "NoSuchEntity", 404, f"The user with name {p}-nobody cannot be found.", UserName=f"{p}-nobody")
    expect_error(iam, "CreateUser", "ValidationError", 400,
                 "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
                 what="CreateUser bad path", UserName=f"{p}-x", Path="eng")
    expect_error(iam, "CreateUser", "ValidationError", 400, what="CreateUser bad name chars", UserName=f"{p} bad")
    expect_error(iam, "CreateUser", "ValidationError", 400, what="CreateUser name too long", UserName="a" * 65)
    tags51 = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    # The model caps Tags at 50 members, so AWS's request validation answers first.
    expect_error(iam, "CreateUser", "ValidationError", 400, what="CreateUser 51 tags", UserName=f"{p}-t", Tags=tags51)
    call(iam, "GetUser", UserName=u)
    # AWS answers GetUser for the root user without UserName and Path, and
    # with the account ID as UserId (shorter than the model's minimum).
    try:
        me = iam.get_user()["User"]
        expect("GetUser(root)", me["Arn"] == f"arn:aws:iam::{account}:root" and me["UserId"] == account and "UserName" not in me, me)
    except ClientError as e:
        fail("GetUser(root)", str(e))
    call(iam, "UpdateUser", UserName=u, NewPath="/ops/")
    call(iam, "TagUser", UserName=u, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    expect_error(iam, "TagUser", "LimitExceeded", 409, what="TagUser over 50", UserName=u, Tags=[{"Key": "one", "Value": "v"}, {"Key": "two", "Value": "v"}])
    expect_error(iam, "TagUser", "InvalidInput", 400, what="TagUser duplicate keys", UserName=u, Tags=[{"Key": "dup", "Value": "a"}, {"Key": "dup", "Value": "b"}])
    expect_error(iam, "TagUser", "NoSuchEntity", 404, what="TagUser missing", UserName=f"{p}-nobody", Tags=[{"Key": "a", "Value": "b"}])
    t = call(iam, "ListUserTags", UserName=u, MaxItems=10)
    if t:
        expect("ListUserTags truncation", t["IsTruncated"] and "Marker" in t and len(t["Tags"]) == 10, f"{t['IsTruncated']} {len(t['Tags'])}")
    call(iam, "UntagUser", UserName=u, TagKeys=["k0", "nope"])

    # pagination: 5 users, MaxItems=2
    for i in range(5):
        call(iam, "CreateUser", f"CreateUser page{i}", UserName=f"{p}-page{i}", Path=f"/{p}/")
    seen, marker, pages = [], None, 0
    while True:
        kw = {"PathPrefix": f"/{p}/", "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        out = call(iam, "ListUsers", f"ListUsers page {pages}", **kw)
        if not out:
            break
        pages += 1
        seen += [x["UserName"] for x in out["Users"]]
        if out["IsTruncated"]:
            if "Marker" not in out:
                fail("ListUsers IsTruncated without Marker", "")
                break
            marker = out["Marker"]
        else:
            expect("ListUsers last page has no Marker", "Marker" not in out, out.get("Marker"))
            break
        if pages > 10:
            break
    expect("ListUsers pages", pages == 3 and sorted(seen) == sorted(f"{p}-page{i}" for i in range(5)), f"{pages} {seen}")
    pg = iam.get_paginator("list_users")
    got = [x["UserName"] for pgx in pg.paginate(PathPrefix=f"/{p}/", PaginationConfig={"PageSize": 2}) for x in pgx["Users"]]
    expect("ListUsers paginator", len(got) == 5, got)
    expect_error(iam, "ListUsers", "ValidationError", 400,
                 "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
                 what="ListUsers MaxItems=0", MaxItems=0)
    expect_error(iam, "ListUsers", "ValidationError", 400, what="ListUsers MaxItems=1001", MaxItems=1001)

    # ---- access keys
    k1 = call(iam, "CreateAccessKey", UserName=u)
    k2 = call(iam, "CreateAccessKey", UserName=u)
    expect_error(iam, "CreateAccessKey", "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2", UserName=u)
    if k1:
        ak = k1["AccessKey"]
        expect("CreateAccessKey key id", ak["AccessKeyId"].startswith("AKIA") and len(ak["AccessKeyId"]) == 20, ak["AccessKeyId"])
        expect("CreateAccessKey secret length", len(ak["SecretAccessKey"]) == 40)
        expect("CreateAccessKey status", ak["Status"] == "Active")
        call(iam, "UpdateAccessKey", UserName=u, AccessKeyId=ak["AccessKeyId"], Status="Inactive")
        expect_error(iam, "UpdateAccessKey", "ValidationError", 400, what="UpdateAccessKey bad status", UserName=u, AccessKeyId=ak["AccessKeyId"], Status="Bogus")
        lu = call(iam, "GetAccessKeyLastUsed", AccessKeyId=ak["AccessKeyId"])
        if lu:
            expect("GetAccessKeyLastUsed UserName", lu.get("UserName") == u)
            alu = lu["AccessKeyLastUsed"]
            expect("GetAccessKeyLastUsed unused N/A", alu.get("ServiceName") == "N/A" and alu.get("Region") == "N/A", alu)
        call(iam, "ListAccessKeys", UserName=u)
        call(iam, "DeleteAccessKey", UserName=u, AccessKeyId=ak["AccessKeyId"])
        expect_error(iam, "DeleteAccessKey", "NoSuchEntity", 404, f"The Access Key with id {ak['AccessKeyId']} cannot be found.",
                     UserName=u, AccessKeyId=ak["AccessKeyId"])

    # ---- groups
    g = f"{p}-devs"
    call(iam, "CreateGroup", GroupName=g)
    expect_error(iam, "CreateGroup", "EntityAlreadyExists", 409, f"Group with name {g} already exists.", GroupName=g)
    expect_error(iam, "GetGroup", "NoSuchEntity", 404, f"The group with name {p}-nogroup cannot be found.", GroupName=f"{p}-nogroup")
    call(iam, "AddUserToGroup", GroupName=g, UserName=u)
    gg = call(iam, "GetGroup", GroupName=g)
    if gg:
        expect("GetGroup lists member", [x["UserName"] for x in gg["Users"]] == [u])
    call(iam, "ListGroupsForUser", UserName=u)
    call(iam, "PutGroupPolicy", GroupName=g, PolicyName="inl", PolicyDocument=ALLOW_S3)
    gp = call(iam, "GetGroupPolicy", GroupName=g, PolicyName="inl")
    if gp:
        expect("GetGroupPolicy doc URL-encoded", gp["PolicyDocument"] == json.loads(ALLOW_S3) or "%22" in str(gp["PolicyDocument"]), gp["PolicyDocument"])
    expect_error(iam, "DeleteGroup", "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.", GroupName=g)

    # ---- managed policies
    pol = call(iam, "CreatePolicy", PolicyName=f"{p}-pol", PolicyDocument=ALLOW_S3, Path="/team/", Description="d",
               Tags=[{"Key": "a", "Value": "b"}])
    parn = pol["Policy"]["Arn"] if pol else None
    if pol:
        P = pol["Policy"]
        expect("CreatePolicy PolicyId prefix", P["PolicyId"].startswith("ANPA"), P["PolicyId"])
        expect("CreatePolicy DefaultVersionId", P["DefaultVersionId"] == "v1")
        expect("CreatePolicy IsAttachable", P["IsAttachable"] is True)
        expect("CreatePolicy AttachmentCount", P["AttachmentCount"] == 0)
    expect_error(iam, "CreatePolicy", "EntityAlreadyExists", 409,
                 f"A policy called {p}-pol already exists. Duplicate names are not allowed.", PolicyName=f"{p}-pol", PolicyDocument=ALLOW_S3, Path="/team/")
    expect_error(iam, "CreatePolicy", "MalformedPolicyDocument", 400, what="CreatePolicy malformed JSON", PolicyName=f"{p}-bad", PolicyDocument="{")
    expect_error(iam, "CreatePolicy", "MalformedPolicyDocument", 400, "Policy document should not specify a principal.",
                 what="CreatePolicy with Principal", PolicyName=f"{p}-bad2",
                 PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}))
    expect_error(iam, "CreatePolicy", "MalformedPolicyDocument", 400, what="CreatePolicy bad Effect", PolicyName=f"{p}-bad3",
                 PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}))
    expect_error(iam, "CreatePolicy", "MalformedPolicyDocument", 400, what="CreatePolicy missing Resource", PolicyName=f"{p}-bad4",
                 PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}))
    expect_error(iam, "CreatePolicy", "ValidationError", 400, what="CreatePolicy bad path", PolicyName=f"{p}-bad5", PolicyDocument=ALLOW_S3, Path="/a b/")
    if parn:
        call(iam, "GetPolicy", PolicyArn=parn)
        for i in range(4):
            call(iam, "CreatePolicyVersion", f"CreatePolicyVersion {i + 2}", PolicyArn=parn, PolicyDocument=ALLOW_S3, SetAsDefault=(i == 0))
        expect_error(iam, "CreatePolicyVersion", "LimitExceeded", 409,
                     f"A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
                     PolicyArn=parn, PolicyDocument=ALLOW_S3)
        lv = call(iam, "ListPolicyVersions", PolicyArn=parn)
        if lv:
            expect("ListPolicyVersions count", len(lv["Versions"]) == 5)
            expect("ListPolicyVersions newest first", lv["Versions"][0]["VersionId"] == "v5", [v["VersionId"] for v in lv["Versions"]])
        pv = call(iam, "GetPolicyVersion", PolicyArn=parn, VersionId="v2")
        if pv:
            expect("GetPolicyVersion IsDefaultVersion", pv["PolicyVersion"]["IsDefaultVersion"] is True)
        expect_error(iam, "DeletePolicyVersion", "DeleteConflict", 409, "Cannot delete the default version of a policy.", PolicyArn=parn, VersionId="v2")
        expect_error(iam, "GetPolicyVersion", "NoSuchEntity", 404, what="GetPolicyVersion missing", PolicyArn=parn, VersionId="v9")
        expect_error(iam, "GetPolicyVersion", "ValidationError", 400, what="GetPolicyVersion bad id", PolicyArn=parn, VersionId="x1")
        call(iam, "SetDefaultPolicyVersion", PolicyArn=parn, VersionId="v1")
        call(iam, "DeletePolicyVersion", PolicyArn=parn, VersionId="v5")
        call(iam, "AttachUserPolicy", UserName=u, PolicyArn=parn)
        call(iam, "AttachGroupPolicy", GroupName=g, PolicyArn=parn)
        expect_error(iam, "AttachUserPolicy", "NoSuchEntity", 404, f"Policy arn:aws:iam::{account}:policy/{p}-none does not exist or is not attachable.",
                     what="AttachUserPolicy missing policy", UserName=u, PolicyArn=f"arn:aws:iam::{account}:policy/{p}-none")
        expect_error(iam, "AttachUserPolicy", "InvalidInput", 400, what="AttachUserPolicy bad ARN", UserName=u, PolicyArn="arn:aws:iam::notanaccount:nothing")
        gp = call(iam, "GetPolicy", "GetPolicy after attach", PolicyArn=parn)
        if gp:
            expect("GetPolicy AttachmentCount=2", gp["Policy"]["AttachmentCount"] == 2, gp["Policy"]["AttachmentCount"])
        call(iam, "ListAttachedUserPolicies", UserName=u)
        call(iam, "ListAttachedGroupPolicies", GroupName=g)
        ef = call(iam, "ListEntitiesForPolicy", PolicyArn=parn)
        if ef:
            expect("ListEntitiesForPolicy users", [x["UserName"] for x in ef["PolicyUsers"]] == [u], ef["PolicyUsers"])
            expect("ListEntitiesForPolicy groups", [x["GroupName"] for x in ef["PolicyGroups"]] == [g], ef["PolicyGroups"])
            expect("ListEntitiesForPolicy user has UserId", all("UserId" in x for x in ef["PolicyUsers"]))
        ef = call(iam, "ListEntitiesForPolicy", "ListEntitiesForPolicy filter=Group", PolicyArn=parn, EntityFilter="Group")
        if ef:
            expect("ListEntitiesForPolicy filter Group", ef["PolicyUsers"] == [] and len(ef["PolicyGroups"]) == 1, ef)
        expect_error(iam, "ListEntitiesForPolicy", "ValidationError", 400, what="ListEntitiesForPolicy bad filter", PolicyArn=parn, EntityFilter="Bogus")
        expect_error(iam, "DeletePolicy", "DeleteConflict", 409, "Cannot delete a policy attached to entities.", PolicyArn=parn)
        lp = call(iam, "ListPolicies", Scope="Local", OnlyAttached=True, MaxItems=100)
        if lp:
            expect("ListPolicies Local OnlyAttached has ours", any(x["Arn"] == parn for x in lp["Policies"]))
        lp = call(iam, "ListPolicies", "ListPolicies AWS page", Scope="AWS", MaxItems=5)
        if lp:
            expect("ListPolicies AWS truncated", lp["IsTruncated"] and len(lp["Policies"]) == 5)
        expect_error(iam, "ListPolicies", "ValidationError", 400, what="ListPolicies bad scope", Scope="Bogus")
        call(iam, "ListPolicyTags", PolicyArn=parn)

    # ---- delete conflicts on user
    call(iam, "CreateLoginProfile", UserName=u, Password="Aa1!aaaaaaaaaaaa", PasswordResetRequired=False)
    expect_error(iam, "CreateLoginProfile", "EntityAlreadyExists", 409, f"Login Profile for user {u} already exists.", UserName=u, Password="Aa1!aaaaaaaaaaaa")
    call(iam, "GetLoginProfile", UserName=u)
    expect_error(iam, "GetLoginProfile", "NoSuchEntity", 404, f"Login Profile for User {p}-page0 cannot be found.", what="GetLoginProfile missing", UserName=f"{p}-page0")
    # AWS does not document the order of DeleteUser's checks: any of the
    # documented DeleteConflict messages will do while several apply.
    expect_error(iam, "DeleteUser", "DeleteConflict", 409, contains="Cannot delete entity, must ", UserName=u)
    call(iam, "DeleteLoginProfile", UserName=u)
    expect_error(iam, "DeleteUser", "DeleteConflict", 409, contains="Cannot delete entity, must ", what="DeleteUser access keys", UserName=u)
    if k2:
        call(iam, "DeleteAccessKey", "DeleteAccessKey 2", UserName=u, AccessKeyId=k2["AccessKey"]["AccessKeyId"])
    expect_error(iam, "DeleteUser", "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.", what="DeleteUser group", UserName=u)

    # ---- password policy
    expect_error(iam, "UpdateAccountPasswordPolicy", "ValidationError", 400,
                 "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6",
                 MinimumPasswordLength=5)
    expect_error(iam, "UpdateAccountPasswordPolicy", "ValidationError", 400, what="UpdateAccountPasswordPolicy MaxPasswordAge 1096", MaxPasswordAge=1096)
    expect_error(iam, "UpdateAccountPasswordPolicy", "ValidationError", 400, what="UpdateAccountPasswordPolicy PasswordReusePrevention 25", PasswordReusePrevention=25)
    expect_error(iam, "UpdateAccountPasswordPolicy", "ValidationError", 400, what="UpdateAccountPasswordPolicy MinimumPasswordLength 129", MinimumPasswordLength=129)
    call(iam, "UpdateAccountPasswordPolicy", MinimumPasswordLength=12, RequireSymbols=True, MaxPasswordAge=90, PasswordReusePrevention=3)
    pp = call(iam, "GetAccountPasswordPolicy")
    if pp:
        P = pp["PasswordPolicy"]
        expect("PasswordPolicy ExpirePasswords", P.get("ExpirePasswords") is True, P)
        expect("PasswordPolicy fields", P["MinimumPasswordLength"] == 12 and P["MaxPasswordAge"] == 90 and P["PasswordReusePrevention"] == 3, P)
        expect("PasswordPolicy AllowUsersToChangePassword present", "AllowUsersToChangePassword" in P, P)
    expect_error(iam, "CreateLoginProfile", "PasswordPolicyViolation", 400, what="CreateLoginProfile weak password", UserName=f"{p}-page1", Password="short")
    call(iam, "DeleteAccountPasswordPolicy")
    expect_error(iam, "GetAccountPasswordPolicy", "NoSuchEntity", 404,
                 f"The Password Policy with domain name {account} cannot be found.", what="GetAccountPasswordPolicy none")
    expect_error(iam, "DeleteAccountPasswordPolicy", "NoSuchEntity", 404, what="DeleteAccountPasswordPolicy none")

    # ---- roles
    r = f"{p}-role"
    ro = call(iam, "CreateRole", RoleName=r, AssumeRolePolicyDocument=trust(account, {"StringEquals": {"sts:ExternalId": "ext-123"}}),
              MaxSessionDuration=7200, Description="compat")
    if ro:
        R = ro["Role"]
        expect("CreateRole RoleId prefix", R["RoleId"].startswith("AROA"), R["RoleId"])
        expect("CreateRole MaxSessionDuration", R.get("MaxSessionDuration") == 7200, R)
    expect_error(iam, "CreateRole", "EntityAlreadyExists", 409, f"Role with name {r} already exists.", RoleName=r, AssumeRolePolicyDocument=trust(account))
    expect_error(iam, "CreateRole", "ValidationError", 400, what="CreateRole MaxSessionDuration 100", RoleName=f"{p}-r2", AssumeRolePolicyDocument=trust(account), MaxSessionDuration=100)
    expect_error(iam, "CreateRole", "MalformedPolicyDocument", 400, what="CreateRole trust without principal", RoleName=f"{p}-r3",
                 AssumeRolePolicyDocument=ALLOW_S3)
    expect_error(iam, "CreateRole", "MalformedPolicyDocument", 400, f'Invalid principal in policy: "AWS":"arn:aws:iam::{account}:user/{p}-ghost"',
                 what="CreateRole trusting a missing user", RoleName=f"{p}-r4", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                     {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/{p}-ghost"}, "Action": "sts:AssumeRole"}]}))
    expect_error(iam, "GetRole", "NoSuchEntity", 404, f"The role with name {p}-norole cannot be found.", RoleName=f"{p}-norole")
    gr = call(iam, "GetRole", RoleName=r)
    if gr:
        expect("GetRole RoleLastUsed present", "RoleLastUsed" in gr["Role"], gr["Role"].keys())
    call(iam, "PutRolePolicy", RoleName=r, PolicyName="all", PolicyDocument=ALLOW_ALL_IAM)
    call(iam, "ListRolePolicies", RoleName=r)
    call(iam, "UpdateRole", RoleName=r, MaxSessionDuration=3600)
    call(iam, "UpdateRoleDescription", RoleName=r, Description="new")
    call(iam, "ListRoles", PathPrefix="/")
    call(iam, "TagRole", RoleName=r, Tags=[{"Key": "env", "Value": "dev"}])
    call(iam, "ListRoleTags", RoleName=r)
    if parn:
        call(iam, "PutRolePermissionsBoundary", RoleName=r, PermissionsBoundary=parn)
        gr = call(iam, "GetRole", "GetRole with boundary", RoleName=r)
        if gr:
            expect("GetRole boundary", gr["Role"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == parn, gr["Role"].get("PermissionsBoundary"))
        call(iam, "DeleteRolePermissionsBoundary", RoleName=r)
    call(iam, "CreateInstanceProfile", InstanceProfileName=f"{p}-ip")
    call(iam, "AddRoleToInstanceProfile", InstanceProfileName=f"{p}-ip", RoleName=r)
    expect_error(iam, "AddRoleToInstanceProfile", "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
                 InstanceProfileName=f"{p}-ip", RoleName=r)
    call(iam, "ListInstanceProfilesForRole", RoleName=r)
    call(iam, "GetInstanceProfile", InstanceProfileName=f"{p}-ip")
    expect_error(iam, "DeleteRole", "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.", RoleName=r)

    # ---- STS
    expect_error(sts, "AssumeRole", "AccessDenied", 403, "Roles may not be assumed by root accounts.", what="AssumeRole as root",
                 RoleArn=f"arn:aws:iam::{account}:role/{r}", RoleSessionName="s1", ExternalId="ext-123")
    caller = f"{p}-caller"
    call(iam, "CreateUser", "CreateUser caller", UserName=caller)
    call(iam, "PutUserPolicy", UserName=caller, PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]}))
    ck = call(iam, "CreateAccessKey", "CreateAccessKey caller", UserName=caller)["AccessKey"]
    csts = session_factory(ck["AccessKeyId"], ck["SecretAccessKey"], None).client("sts", endpoint_url=endpoint, region_name="us-east-1")
    time.sleep(0.5)
    expect_error(csts, "AssumeRole", "AccessDenied", 403, what="AssumeRole without ExternalId",
                 contains="is not authorized to perform: sts:AssumeRole on resource", RoleArn=f"arn:aws:iam::{account}:role/{r}", RoleSessionName="s1")
    ar = call(csts, "AssumeRole", RoleArn=f"arn:aws:iam::{account}:role/{r}", RoleSessionName="s1", ExternalId="ext-123",
              DurationSeconds=900, Tags=[{"Key": "proj", "Value": "x"}], TransitiveTagKeys=["proj"])
    if ar:
        c = ar["Credentials"]
        expect("AssumeRole AccessKeyId ASIA", c["AccessKeyId"].startswith("ASIA"), c["AccessKeyId"])
        expect("AssumeRole AssumedRoleUser Arn", ar["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{r}/s1", ar["AssumedRoleUser"])
        expect("AssumeRole AssumedRoleId", ar["AssumedRoleUser"]["AssumedRoleId"].endswith(":s1"), ar["AssumedRoleUser"])
        expect("AssumeRole PackedPolicySize", isinstance(ar.get("PackedPolicySize"), int), ar.keys())
        left = (c["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        expect("AssumeRole Expiration ~900s", 800 < left <= 905, left)
        rs = session_factory(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        rsts = rs.client("sts", endpoint_url=endpoint, region_name="us-east-1")
        ci = call(rsts, "GetCallerIdentity", "sts.GetCallerIdentity(role)")
        if ci:
            expect("role GetCallerIdentity Arn", ci["Arn"] == f"arn:aws:sts::{account}:assumed-role/{r}/s1", ci["Arn"])
            expect("role GetCallerIdentity UserId", ci["UserId"] == ar["AssumedRoleUser"]["AssumedRoleId"], ci["UserId"])
        expect_error(rsts, "GetSessionToken", "AccessDenied", 403, "Cannot call GetSessionToken with session credentials",
                     what="GetSessionToken with role creds")
        riam = rs.client("iam", endpoint_url=endpoint, region_name="us-east-1")
        call(riam, "ListRoles", "ListRoles as role session")
    expect_error(csts, "AssumeRole", "ValidationError", 400,
                 "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
                 what="AssumeRole DurationSeconds 899", RoleArn=f"arn:aws:iam::{account}:role/{r}", RoleSessionName="s1", ExternalId="ext-123", DurationSeconds=899)
    expect_error(csts, "AssumeRole", "ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
                 what="AssumeRole DurationSeconds > max", RoleArn=f"arn:aws:iam::{account}:role/{r}", RoleSessionName="s1", ExternalId="ext-123", DurationSeconds=7200)
    expect_error(csts, "AssumeRole", "ValidationError", 400, what="AssumeRole ExternalId too short",
                 RoleArn=f"arn:aws:iam::{account}:role/{r}", RoleSessionName="s1", ExternalId="e")
    expect_error(csts, "AssumeRole", "ValidationError", 400, what="AssumeRole bad session name",
                 RoleArn=f"arn:aws:iam::{account}:role/{r}", RoleSessionName="bad name", ExternalId="ext-123")
    expect_error(csts, "AssumeRole", "ValidationError", 400, what="AssumeRole 51 session tags",
                 RoleArn=f"arn:aws:iam::{account}:role/{r}", RoleSessionName="s1", ExternalId="ext-123", Tags=tags51)
    expect_error(csts, "AssumeRole", "AccessDenied", 403, what="AssumeRole missing role",
                 RoleArn=f"arn:aws:iam::{account}:role/{p}-none", RoleSessionName="s1")
    expect_error(sts, "GetSessionToken", "ValidationError", 400, what="GetSessionToken 899", DurationSeconds=899)
    gs = call(sts, "GetSessionToken", "GetSessionToken(root)", DurationSeconds=900)
    if gs:
        expect("GetSessionToken ASIA", gs["Credentials"]["AccessKeyId"].startswith("ASIA"))

    # user credentials: GetCallerIdentity as a user, GetSessionToken as user
    uk = call(iam, "CreateAccessKey", "CreateAccessKey for user identity", UserName=f"{p}-page0")
    if uk:
        us = session_factory(uk["AccessKey"]["AccessKeyId"], uk["AccessKey"]["SecretAccessKey"], None)
        usts = us.client("sts", endpoint_url=endpoint, region_name="us-east-1")
        ci = call(usts, "GetCallerIdentity", "sts.GetCallerIdentity(user)")
        if ci:
            expect("user GetCallerIdentity Arn", ci["Arn"] == f"arn:aws:iam::{account}:user/{p}/{p}-page0", ci["Arn"])
            expect("user GetCallerIdentity UserId", ci["UserId"].startswith("AIDA"), ci["UserId"])
        expect_error(usts, "GetSessionToken", "ValidationError", 400, what="user GetSessionToken 129601", DurationSeconds=129601)
        gs = call(usts, "GetSessionToken", "GetSessionToken(user)")
        if gs:
            left = (gs["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
            expect("GetSessionToken default 12h", 43000 < left <= 43205, left)
        uiam = us.client("iam", endpoint_url=endpoint, region_name="us-east-1")
        expect_error(uiam, "ListUsers", "AccessDenied", 403, what="user without policy ListUsers",
                     contains=f"User: arn:aws:iam::{account}:user/{p}/{p}-page0 is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{account}:user/")
        call(iam, "DeleteAccessKey", "DeleteAccessKey user identity", UserName=f"{p}-page0", AccessKeyId=uk["AccessKey"]["AccessKeyId"])

    # ---- simulator
    sim = call(iam, "SimulatePrincipalPolicy", PolicySourceArn=f"arn:aws:iam::{account}:role/{r}", ActionNames=["iam:ListUsers", "s3:GetObject"])
    if sim:
        res = {x["EvalActionName"]: x["EvalDecision"] for x in sim["EvaluationResults"]}
        expect("Simulate decisions", res == {"iam:ListUsers": "allowed", "s3:GetObject": "implicitDeny"}, res)
        expect("Simulate IsTruncated", sim["IsTruncated"] is False)
    expect_error(iam, "SimulatePrincipalPolicy", "NoSuchEntity", 404, what="Simulate missing principal",
                 PolicySourceArn=f"arn:aws:iam::{account}:role/{p}-none", ActionNames=["iam:ListUsers"])
    expect_error(iam, "SimulatePrincipalPolicy", "InvalidInput", 400, what="Simulate bad ARN", PolicySourceArn="arn:aws:iam::notanaccount:nothing", ActionNames=["iam:ListUsers"])
    call(iam, "SimulateCustomPolicy", PolicyInputList=[ALLOW_S3], ActionNames=["s3:GetObject"])
    call(iam, "GetContextKeysForPrincipalPolicy", PolicySourceArn=f"arn:aws:iam::{account}:role/{r}")

    # ---- summary and auth details
    sm = call(iam, "GetAccountSummary")
    want_keys = {"Users", "UsersQuota", "Groups", "GroupsQuota", "Roles", "RolesQuota", "Policies", "PoliciesQuota", "InstanceProfiles",
                 "InstanceProfilesQuota", "ServerCertificates", "ServerCertificatesQuota", "MFADevices", "MFADevicesInUse", "Providers",
                 "AccountMFAEnabled", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent", "UserPolicySizeQuota",
                 "GroupPolicySizeQuota", "RolePolicySizeQuota", "PolicySizeQuota", "AssumeRolePolicySizeQuota", "GroupsPerUserQuota",
                 "SigningCertificatesPerUserQuota", "AccessKeysPerUserQuota", "AttachedPoliciesPerUserQuota",
                 "AttachedPoliciesPerGroupQuota", "AttachedPoliciesPerRoleQuota", "PolicyVersionsInUse", "PolicyVersionsInUseQuota",
                 "VersionsPerPolicyQuota", "GlobalEndpointTokenVersion"}
    if sm:
        got = set(sm["SummaryMap"])
        expect("GetAccountSummary keys", want_keys <= got, f"missing {sorted(want_keys - got)} extra {sorted(got - want_keys)}")
        expect("GetAccountSummary AccountAccessKeysPresent", sm["SummaryMap"].get("AccountAccessKeysPresent") == 1, sm["SummaryMap"].get("AccountAccessKeysPresent"))
    ad = call(iam, "GetAccountAuthorizationDetails", Filter=["User"], MaxItems=1000)
    if ad:
        expect("AuthDetails filter User only users", ad.get("GroupDetailList", []) == [] and ad.get("RoleDetailList", []) == [] and ad.get("Policies", []) == [] and ad["UserDetailList"],
               {k: len(v) for k, v in ad.items() if isinstance(v, list)})
    ad = call(iam, "GetAccountAuthorizationDetails", "GetAccountAuthorizationDetails LocalManagedPolicy", Filter=["LocalManagedPolicy"])
    if ad:
        expect("AuthDetails LocalManagedPolicy", ad["Policies"] and all(":aws:policy/" not in x["Arn"] for x in ad["Policies"]), len(ad.get("Policies", [])))
    ad = call(iam, "GetAccountAuthorizationDetails", "GetAccountAuthorizationDetails page", MaxItems=2)
    if ad:
        expect("AuthDetails MaxItems=2 truncated", ad["IsTruncated"] and "Marker" in ad, ad.get("IsTruncated"))
        if ad.get("Marker"):
            call(iam, "GetAccountAuthorizationDetails", "GetAccountAuthorizationDetails page 2", MaxItems=2, Marker=ad["Marker"])
    expect_error(iam, "GetAccountAuthorizationDetails", "ValidationError", 400, what="AuthDetails bad filter", Filter=["Bogus"])

    # ---- account alias
    call(iam, "CreateAccountAlias", AccountAlias=f"{p}-alias")
    al = call(iam, "ListAccountAliases")
    if al:
        expect("ListAccountAliases", al["AccountAliases"] == [f"{p}-alias"], al["AccountAliases"])
    expect_error(iam, "CreateAccountAlias", "ValidationError", 400, what="CreateAccountAlias uppercase", AccountAlias="BadAlias")
    call(iam, "DeleteAccountAlias", AccountAlias=f"{p}-alias")

    # ---- cleanup (reverse order); failures here are findings too
    call(iam, "RemoveRoleFromInstanceProfile", InstanceProfileName=f"{p}-ip", RoleName=r)
    call(iam, "DeleteInstanceProfile", InstanceProfileName=f"{p}-ip")
    expect_error(iam, "DeleteRole", "DeleteConflict", 409, "Cannot delete entity, must delete policies first.", what="DeleteRole inline policy", RoleName=r)
    call(iam, "DeleteRolePolicy", RoleName=r, PolicyName="all")
    call(iam, "DeleteRole", RoleName=r)
    call(iam, "RemoveUserFromGroup", GroupName=g, UserName=u)
    if parn:
        expect_error(iam, "DeleteUser", "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.", what="DeleteUser attached", UserName=u)
        call(iam, "DetachUserPolicy", UserName=u, PolicyArn=parn)
        expect_error(iam, "DeleteGroup", "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.", what="DeleteGroup attached", GroupName=g)
        call(iam, "DetachGroupPolicy", GroupName=g, PolicyArn=parn)
        expect_error(iam, "DeleteGroup", "DeleteConflict", 409, "Cannot delete entity, must delete policies first.", what="DeleteGroup inline", GroupName=g)
        call(iam, "DeleteGroupPolicy", GroupName=g, PolicyName="inl")
        expect_error(iam, "DeletePolicy", "DeleteConflict", 409, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
                     what="DeletePolicy with versions", PolicyArn=parn)
        for v in ("v2", "v3", "v4"):
            call(iam, "DeletePolicyVersion", f"DeletePolicyVersion {v}", PolicyArn=parn, VersionId=v)
        call(iam, "DeletePolicy", PolicyArn=parn)
    else:
        call(iam, "DeleteGroupPolicy", GroupName=g, PolicyName="inl")
    call(iam, "DeleteGroup", GroupName=g)
    call(iam, "DeleteUser", UserName=u)
    call(iam, "DeleteAccessKey", "DeleteAccessKey caller", UserName=caller, AccessKeyId=ck["AccessKeyId"])
    call(iam, "DeleteUserPolicy", UserName=caller, PolicyName="assume")
    call(iam, "DeleteUser", "DeleteUser caller", UserName=caller)
    for i in range(5):
        call(iam, "DeleteUser", f"DeleteUser page{i}", UserName=f"{p}-page{i}")
    expect_error(iam, "DeleteUser", "NoSuchEntity", 404, f"The user with name {u} cannot be found.", what="DeleteUser twice", UserName=u)


def sweep_more(iam, sts, endpoint, session_factory):
    """Limits, validation wording and less common paths."""
    p = "m" + rname(6)
    account = sts.get_caller_identity()["Account"]
    u = f"{p}-u"
    call(iam, "CreateUser", UserName=u)
    # tag validation
    expect_error(iam, "TagUser", "ValidationError", 400, what="TagUser key 129 chars", UserName=u, Tags=[{"Key": "k" * 129, "Value": "v"}])
    expect_error(iam, "TagUser", "ValidationError", 400, what="TagUser value 257 chars", UserName=u, Tags=[{"Key": "k", "Value": "v" * 257}])
    expect_error(iam, "TagUser", "ValidationError", 400, what="TagUser bad key chars", UserName=u, Tags=[{"Key": "bad#key", "Value": "v"}])
    call(iam, "TagUser", "TagUser empty value", UserName=u, Tags=[{"Key": "empty", "Value": ""}])
    expect_error(iam, "TagUser", "InvalidInput", 400, what="TagUser aws: key", UserName=u, Tags=[{"Key": "aws:x", "Value": "v"}])
    expect_error(iam, "TagUser", "InvalidInput", 400, what="TagUser aws: value", UserName=u, Tags=[{"Key": "x", "Value": "aws:v"}])
    call(iam, "TagUser", "TagUser Department", UserName=u, Tags=[{"Key": "Department", "Value": "finance"}])
    call(iam, "TagUser", "TagUser department", UserName=u, Tags=[{"Key": "department", "Value": "hr"}])
    ut = iam.list_user_tags(UserName=u)["Tags"]
    expect("user tag keys case-insensitive", [t for t in ut if t["Key"].lower() == "department"] == [{"Key": "Department", "Value": "hr"}], ut)
    tp = call(iam, "CreatePolicy", "CreatePolicy tag case", PolicyName=f"{p}-tagcase", PolicyDocument=ALLOW_S3, Tags=[{"Key": "Costcenter", "Value": "1234"}])
    if tp:
        call(iam, "TagPolicy", "TagPolicy costcenter", PolicyArn=tp["Policy"]["Arn"], Tags=[{"Key": "costcenter", "Value": "5678"}])
        pt = iam.list_policy_tags(PolicyArn=tp["Policy"]["Arn"])["Tags"]
        expect("policy tag keys case-sensitive", sorted((t["Key"], t["Value"]) for t in pt) == [("Costcenter", "1234"), ("costcenter", "5678")], pt)
        call(iam, "DeletePolicy", "DeletePolicy tag case", PolicyArn=tp["Policy"]["Arn"])
    # missing required parameter
    expect_error(iam, "GetGroup", "ValidationError", 400,
                 "1 validation error detected: Value null at 'groupName' failed to satisfy constraint: Member must not be null",
                 what="GetGroup without GroupName")
    # groups per user
    for i in range(10):
        call(iam, "CreateGroup", f"CreateGroup g{i}", GroupName=f"{p}-g{i}")
        call(iam, "AddUserToGroup", f"AddUserToGroup g{i}", GroupName=f"{p}-g{i}", UserName=u)
    call(iam, "CreateGroup", "CreateGroup g10", GroupName=f"{p}-g10")
    expect_error(iam, "AddUserToGroup", "LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10", GroupName=f"{p}-g10", UserName=u)
    lg = call(iam, "ListGroupsForUser", "ListGroupsForUser page", UserName=u, MaxItems=4)
    if lg:
        expect("ListGroupsForUser truncated", lg["IsTruncated"] and len(lg["Groups"]) == 4)
    # managed policies per user
    arns = []
    for i in range(11):
        o = call(iam, "CreatePolicy", f"CreatePolicy m{i}", PolicyName=f"{p}-m{i}", PolicyDocument=ALLOW_S3)
        if o:
            arns.append(o["Policy"]["Arn"])
    for a in arns[:10]:
        call(iam, "AttachUserPolicy", "AttachUserPolicy x10", UserName=u, PolicyArn=a)
    call(iam, "AttachUserPolicy", "AttachUserPolicy again (idempotent)", UserName=u, PolicyArn=arns[0])
    expect_error(iam, "AttachUserPolicy", "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerUser: 10", UserName=u, PolicyArn=arns[10])
    la = call(iam, "ListAttachedUserPolicies", "ListAttachedUserPolicies page", UserName=u, MaxItems=3)
    if la:
        expect("ListAttachedUserPolicies truncated", la["IsTruncated"] and len(la["AttachedPolicies"]) == 3 and "Marker" in la)
    ep = call(iam, "ListPolicies", "ListPolicies PermissionsPolicy usage", Scope="Local", PolicyUsageFilter="PermissionsPolicy", OnlyAttached=True)
    if ep:
        expect("ListPolicies OnlyAttached count", len([x for x in ep["Policies"] if x["PolicyName"].startswith(p)]) == 10)
    # policy size
    big = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [f"s3:GetObject{i:04d}" for i in range(400)], "Resource": "*"}]})
    expect_error(iam, "CreatePolicy", "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144", what="CreatePolicy too big", PolicyName=f"{p}-big", PolicyDocument=big)
    mid = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [f"s3:GetObject{i:04d}" for i in range(130)], "Resource": "*"}]})
    expect_error(iam, "PutUserPolicy", "LimitExceeded", 409, f"Maximum policy size of 2048 bytes exceeded for user {u}", what="PutUserPolicy too big",
                 UserName=u, PolicyName="big", PolicyDocument=mid)
    expect_error(iam, "PutUserPolicy", "ValidationError", 400, what="PutUserPolicy bad name", UserName=u, PolicyName="bad name", PolicyDocument=ALLOW_S3)
    expect_error(iam, "PutUserPolicy", "MalformedPolicyDocument", 400, what="PutUserPolicy bad version", UserName=u, PolicyName="v",
                 PolicyDocument=json.dumps({"Version": "2099-01-01", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    expect_error(iam, "GetUserPolicy", "NoSuchEntity", 404, f"The user policy with name nope cannot be found.", UserName=u, PolicyName="nope")
    # boundary
    expect_error(iam, "PutUserPermissionsBoundary", "NoSuchEntity", 404, what="PutUserPermissionsBoundary missing policy",
                 UserName=u, PermissionsBoundary=f"arn:aws:iam::{account}:policy/{p}-none")
    call(iam, "PutUserPermissionsBoundary", UserName=u, PermissionsBoundary=arns[10])
    gu = call(iam, "GetUser", "GetUser with boundary", UserName=u)
    if gu:
        pb = gu["User"].get("PermissionsBoundary", {})
        expect("GetUser boundary type", pb.get("PermissionsBoundaryType") == "PermissionsBoundaryPolicy" and pb.get("PermissionsBoundaryArn") == arns[10], pb)
    ef = call(iam, "ListEntitiesForPolicy", "ListEntitiesForPolicy boundary usage", PolicyArn=arns[10], PolicyUsageFilter="PermissionsBoundary")
    if ef:
        expect("ListEntitiesForPolicy PermissionsBoundary", [x["UserName"] for x in ef["PolicyUsers"]] == [u], ef["PolicyUsers"])
    expect_error(iam, "DeletePolicy", "DeleteConflict", 409, "Cannot delete a policy attached to entities.", what="DeletePolicy boundary in use", PolicyArn=arns[10])
    call(iam, "DeleteUserPermissionsBoundary", UserName=u)
    # managed policy attached to role, trust size, role name length
    r = f"{p}-r"
    call(iam, "CreateRole", "CreateRole m", RoleName=r, AssumeRolePolicyDocument=trust(account))
    call(iam, "AttachRolePolicy", RoleName=r, PolicyArn=arns[0])
    expect_error(iam, "DeleteRole", "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.", what="DeleteRole attached", RoleName=r)
    big_trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{account}:user/u{i:03d}xxxxxxxxxx" for i in range(60)]}, "Action": "sts:AssumeRole"}]})
    expect_error(iam, "UpdateAssumeRolePolicy", "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048", RoleName=r, PolicyDocument=big_trust)
    expect_error(iam, "CreateRole", "ValidationError", 400, what="CreateRole name 65", RoleName="r" * 65, AssumeRolePolicyDocument=trust(account))
    expect_error(iam, "AttachRolePolicy", "NoSuchEntity", 404, f"The role with name {p}-none cannot be found.", what="AttachRolePolicy missing role",
                 RoleName=f"{p}-none", PolicyArn=arns[0])
    call(iam, "AttachRolePolicy", "AttachRolePolicy AWS managed", RoleName=r, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    ad = call(iam, "GetAccountAuthorizationDetails", "GetAccountAuthorizationDetails AWSManagedPolicy", Filter=["AWSManagedPolicy"])
    if ad:
        expect("AuthDetails AWSManagedPolicy only attached", 0 < len(ad["Policies"]) < 50 and all(":aws:policy/" in x["Arn"] for x in ad["Policies"]), len(ad["Policies"]))
    call(iam, "DetachRolePolicy", "DetachRolePolicy AWS managed", RoleName=r, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    expect_error(iam, "DetachRolePolicy", "NoSuchEntity", 404, what="DetachRolePolicy not attached", RoleName=r, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    # rename conflicts
    call(iam, "CreateUser", "CreateUser other", UserName=f"{p}-other")
    expect_error(iam, "UpdateUser", "EntityAlreadyExists", 409, f"User with name {p}-other already exists.", what="UpdateUser rename to existing",
                 UserName=u, NewUserName=f"{p}-other")
    # root access keys and GetSessionToken duration cap for root
    lk = call(iam, "ListAccessKeys", "ListAccessKeys(root)")
    if lk:
        expect("ListAccessKeys(root) has the root key", len(lk["AccessKeyMetadata"]) >= 1, lk["AccessKeyMetadata"])
    gs = call(sts, "GetSessionToken", "GetSessionToken(root) 7200", DurationSeconds=7200)
    if gs:
        left = (gs["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        expect("GetSessionToken root capped to 1h", 3500 < left <= 3605, left)
    call(sts, "GetFederationToken", "GetFederationToken(root)", Name="fed1", Policy=ALLOW_S3)
    expect_error(sts, "GetFederationToken", "ValidationError", 400, what="GetFederationToken name too long", Name="f" * 33)
    # account summary counts
    sm = call(iam, "GetAccountSummary", "GetAccountSummary counts")
    if sm:
        M = sm["SummaryMap"]
        lp = iam.get_paginator("list_policies").paginate(Scope="Local")
        nlocal = sum(len(x["Policies"]) for x in lp)
        expect("GetAccountSummary Policies = customer managed", M.get("Policies") == nlocal, (M.get("Policies"), nlocal))
        nusers = sum(len(x["Users"]) for x in iam.get_paginator("list_users").paginate())
        expect("GetAccountSummary Users", M.get("Users") == nusers, (M.get("Users"), nusers))
        expect("GetAccountSummary quotas", M.get("UsersQuota") == 5000 and M.get("GroupsPerUserQuota") == 10 and M.get("AccessKeysPerUserQuota") == 2
               and M.get("VersionsPerPolicyQuota") == 5 and M.get("PolicySizeQuota") == 6144 and M.get("UserPolicySizeQuota") == 2048, M)
    # MFA
    mv = call(iam, "CreateVirtualMFADevice", VirtualMFADeviceName=f"{p}-mfa")
    if mv:
        sn = mv["VirtualMFADevice"]["SerialNumber"]
        expect("VirtualMFADevice serial", sn == f"arn:aws:iam::{account}:mfa/{p}-mfa", sn)
        call(iam, "ListVirtualMFADevices", AssignmentStatus="Unassigned")
        expect_error(iam, "EnableMFADevice", "InvalidAuthenticationCode", 403, what="EnableMFADevice bad codes",
                     UserName=u, SerialNumber=sn, AuthenticationCode1="123456", AuthenticationCode2="654321")
        call(iam, "DeleteVirtualMFADevice", SerialNumber=sn)
    call(iam, "ListMFADevices", UserName=u)
    # unknown action via raw request is covered by the Go tests; here only the SDK surface.
    # cleanup
    call(iam, "DetachRolePolicy", RoleName=r, PolicyArn=arns[0])
    call(iam, "DeleteRole", "DeleteRole m", RoleName=r)
    for a in arns[:10]:
        call(iam, "DetachUserPolicy", "DetachUserPolicy x10", UserName=u, PolicyArn=a)
    for a in arns:
        call(iam, "DeletePolicy", "DeletePolicy m", PolicyArn=a)
    for i in range(11):
        if i < 10:
            call(iam, "RemoveUserFromGroup", f"RemoveUserFromGroup g{i}", GroupName=f"{p}-g{i}", UserName=u)
        call(iam, "DeleteGroup", f"DeleteGroup g{i}", GroupName=f"{p}-g{i}")
    call(iam, "DeleteUser", "DeleteUser m", UserName=u)
    call(iam, "DeleteUser", "DeleteUser other", UserName=f"{p}-other")


def all_pages(client, op, key, page, **kw):
    """Follows Marker by hand with MaxItems=page; returns items and page count."""
    items, marker, pages = [], None, 0
    while pages < 5000:
        args = dict(kw, MaxItems=page)
        if marker:
            args["Marker"] = marker
        out = getattr(client, botocore.xform_name(op))(**args)
        pages += 1
        for k in key if isinstance(key, (list, tuple)) else [key]:
            items += out.get(k, [])
        if not out.get("IsTruncated"):
            if "Marker" in out:
                fail(f"{op} last page", "Marker on an untruncated page")
            break
        marker = out.get("Marker")
        if not marker:
            fail(f"{op} page {pages}", "IsTruncated without Marker")
            break
    return items, pages


def sweep_pages_sts(iam, sts, endpoint, session_factory):
    p = "q" + rname(6)
    account = sts.get_caller_identity()["Account"]
    # ListPolicies across the whole AWS managed catalog
    whole = iam.list_policies(Scope="AWS", MaxItems=1000)
    paged, pages = all_pages(iam, "ListPolicies", "Policies", 97, Scope="AWS")
    arns = [x["Arn"] for x in paged]
    expect("ListPolicies AWS paging complete", len(arns) == len(set(arns)) and len(arns) >= 1000, (len(arns), len(set(arns)), pages))
    expect("ListPolicies MaxItems=1000 page", len(whole["Policies"]) == 1000 and whole["IsTruncated"], len(whole["Policies"]))
    # entities for a policy, paged one at a time
    pol = iam.create_policy(PolicyName=f"{p}-pol", PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
    made = []
    for i in range(3):
        iam.create_user(UserName=f"{p}-u{i}", Path="/a/" if i % 2 else "/b/")
        iam.attach_user_policy(UserName=f"{p}-u{i}", PolicyArn=pol)
        iam.create_group(GroupName=f"{p}-g{i}")
        iam.attach_group_policy(GroupName=f"{p}-g{i}", PolicyArn=pol)
        iam.create_role(RoleName=f"{p}-r{i}", AssumeRolePolicyDocument=trust(account))
        iam.attach_role_policy(RoleName=f"{p}-r{i}", PolicyArn=pol)
    items, pages = all_pages(iam, "ListEntitiesForPolicy", ["PolicyUsers", "PolicyGroups", "PolicyRoles"], 2, PolicyArn=pol)
    expect("ListEntitiesForPolicy paged all 9", len(items) == 9, (len(items), pages))
    ef = iam.list_entities_for_policy(PolicyArn=pol, PathPrefix="/a/")
    expect("ListEntitiesForPolicy PathPrefix", [x["UserName"] for x in ef["PolicyUsers"]] == [f"{p}-u1"] and ef["PolicyGroups"] == [] and ef["PolicyRoles"] == [],
           ef)
    # authorization details: paged equals unpaged
    full = []
    for page in iam.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 1000}):
        full += [x.get("UserName") or x.get("GroupName") or x.get("RoleName") or x.get("Arn") for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies") for x in page.get(k, [])]
    items, pages = all_pages(iam, "GetAccountAuthorizationDetails", ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"], 3)
    small = [x.get("UserName") or x.get("GroupName") or x.get("RoleName") or x.get("Arn") for x in items]
    expect("GetAccountAuthorizationDetails paged == unpaged", sorted(small) == sorted(full), (len(small), len(full)))
    ud = [x for x in iam.get_account_authorization_details(Filter=["User"])["UserDetailList"] if x["UserName"] == f"{p}-u0"]
    if ud:
        expect("AuthDetails user AttachedManagedPolicies", [x["PolicyArn"] for x in ud[0]["AttachedManagedPolicies"]] == [pol], ud[0])
        expect("AuthDetails user GroupList", ud[0].get("GroupList") == [], ud[0].get("GroupList"))
    rd = call(iam, "GetAccountAuthorizationDetails", "AuthDetails Role", Filter=["Role"])
    if rd:
        r0 = [x for x in rd["RoleDetailList"] if x["RoleName"] == f"{p}-r0"]
        expect("AuthDetails role has InstanceProfileList and RoleLastUsed", r0 and "InstanceProfileList" in r0[0] and "RoleLastUsed" in r0[0], r0)
    # STS: a user allowed to assume, session policies, chaining, tags
    caller = f"{p}-caller"
    iam.create_user(UserName=caller)
    iam.put_user_policy(UserName=caller, PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:*"], "Resource": "*"}]}))
    ck = iam.create_access_key(UserName=caller)["AccessKey"]
    csts = session_factory(ck["AccessKeyId"], ck["SecretAccessKey"], None).client("sts", endpoint_url=endpoint, region_name="us-east-1")
    role = f"arn:aws:iam::{account}:role/{p}-r0"
    iam.put_role_policy(RoleName=f"{p}-r0", PolicyName="sts", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:*"], "Resource": "*"}]}))
    time.sleep(0.5)
    expect_error(csts, "AssumeRole", "InvalidParameterValue", 400, what="AssumeRole duplicate tag keys (case-insensitive)",
                 RoleArn=role, RoleSessionName="s0", Tags=[{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}])
    expect_error(csts, "AssumeRole", "InvalidParameterValue", 400, what="AssumeRole aws: session tag",
                 RoleArn=role, RoleSessionName="s0", Tags=[{"Key": "aws:x", "Value": "1"}])
    expect_error(csts, "AssumeRole", "InvalidParameterValue", 400, what="AssumeRole TransitiveTagKeys not in Tags",
                 RoleArn=role, RoleSessionName="s0", Tags=[{"Key": "a", "Value": "1"}], TransitiveTagKeys=["b"])
    # A plaintext session policy over 2,048 characters: AWS documents the
    # limit but not the error code, so the sweep does not judge it.
    ar = call(csts, "AssumeRole", "AssumeRole with session policy", RoleArn=role, RoleSessionName="s0", Policy=ALLOW_S3,
              PolicyArns=[{"arn": pol}], Tags=[{"Key": "a", "Value": "1"}])
    if ar:
        expect("AssumeRole PackedPolicySize with tags", isinstance(ar.get("PackedPolicySize"), int) and ar["PackedPolicySize"] > 0, ar.get("PackedPolicySize"))
        c = ar["Credentials"]
        rsts = session_factory(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).client("sts", endpoint_url=endpoint, region_name="us-east-1")
        expect_error(rsts, "AssumeRole", "AccessDenied", 403, what="AssumeRole chained (session policy denies)",
                     RoleArn=f"arn:aws:iam::{account}:role/{p}-r1", RoleSessionName="s2")
    ar = call(csts, "AssumeRole", "AssumeRole plain", RoleArn=role, RoleSessionName="s0")
    if ar:
        c = ar["Credentials"]
        rsts = session_factory(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).client("sts", endpoint_url=endpoint, region_name="us-east-1")
        iam.update_assume_role_policy(RoleName=f"{p}-r1", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}]}))
        iam.update_role(RoleName=f"{p}-r1", MaxSessionDuration=7200)
        time.sleep(0.3)
        expect_error(rsts, "AssumeRole", "ValidationError", 400,
                     "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
                     what="AssumeRole chained 2h", RoleArn=f"arn:aws:iam::{account}:role/{p}-r1", RoleSessionName="s2", DurationSeconds=7200)
        call(rsts, "AssumeRole", "AssumeRole chained 1h", RoleArn=f"arn:aws:iam::{account}:role/{p}-r1", RoleSessionName="s2", DurationSeconds=3600)
        expect_error(rsts, "GetFederationToken", "AccessDenied", 403, what="GetFederationToken with role creds", Name="fed")
    si = call(csts, "AssumeRole", "AssumeRole with SourceIdentity", RoleArn=role, RoleSessionName="s0", SourceIdentity="alice")
    if si:
        c = si["Credentials"]
        rsts = session_factory(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).client("sts", endpoint_url=endpoint, region_name="us-east-1")
        expect_error(rsts, "AssumeRole", "ValidationError", 400, "The source identity is already set for this assume role session",
                     what="AssumeRole chained SourceIdentity change", RoleArn=f"arn:aws:iam::{account}:role/{p}-r1", RoleSessionName="s2", SourceIdentity="mallory")
        ch = call(rsts, "AssumeRole", "AssumeRole chained keeps SourceIdentity", RoleArn=f"arn:aws:iam::{account}:role/{p}-r1", RoleSessionName="s2")
        if ch:
            expect("chained SourceIdentity inherited", ch.get("SourceIdentity") == "alice", ch.get("SourceIdentity"))
    ft = call(csts, "GetFederationToken", "GetFederationToken(user)", Name="fed1", Policy=ALLOW_S3)
    if ft:
        expect("GetFederationToken FederatedUser Arn", ft["FederatedUser"]["Arn"] == f"arn:aws:sts::{account}:federated-user/fed1", ft["FederatedUser"])
        expect("GetFederationToken FederatedUserId", ft["FederatedUser"]["FederatedUserId"] == f"{account}:fed1", ft["FederatedUser"])
        c = ft["Credentials"]
        fsts = session_factory(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).client("sts", endpoint_url=endpoint, region_name="us-east-1")
        ci = call(fsts, "GetCallerIdentity", "GetCallerIdentity(federated)")
        if ci:
            expect("federated GetCallerIdentity", ci["Arn"] == f"arn:aws:sts::{account}:federated-user/fed1" and ci["UserId"] == f"{account}:fed1", ci)
    ai = call(sts, "GetAccessKeyInfo", AccessKeyId=ck["AccessKeyId"])
    if ai:
        expect("GetAccessKeyInfo Account", ai["Account"] == account, ai)
    gst = call(sts, "GetSessionToken", "GetSessionToken(root) for identity")
    if gst:
        c = gst["Credentials"]
        ssts = session_factory(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).client("sts", endpoint_url=endpoint, region_name="us-east-1")
        ci = call(ssts, "GetCallerIdentity", "GetCallerIdentity(root session)")
        if ci:
            expect("root session GetCallerIdentity", ci["Arn"] == f"arn:aws:iam::{account}:root", ci)
    bad = session_factory("AKIAIOSFODNN7EXAMPLE", "x" * 40, None).client("sts", endpoint_url=endpoint, region_name="us-east-1")
    expect_error(bad, "GetCallerIdentity", "InvalidClientTokenId", 403, "The security token included in the request is invalid.", what="unknown access key")
    bad = session_factory(ck["AccessKeyId"], "x" * 40, None).client("sts", endpoint_url=endpoint, region_name="us-east-1")
    expect_error(bad, "GetCallerIdentity", "SignatureDoesNotMatch", 403, what="wrong secret",
                 contains="The request signature we calculated does not match the signature you provided.")
    # cleanup
    iam.delete_access_key(UserName=caller, AccessKeyId=ck["AccessKeyId"])
    iam.delete_user_policy(UserName=caller, PolicyName="assume")
    iam.delete_user(UserName=caller)
    iam.delete_role_policy(RoleName=f"{p}-r0", PolicyName="sts")
    for i in range(3):
        iam.detach_user_policy(UserName=f"{p}-u{i}", PolicyArn=pol)
        iam.delete_user(UserName=f"{p}-u{i}")
        iam.detach_group_policy(GroupName=f"{p}-g{i}", PolicyArn=pol)
        iam.delete_group(GroupName=f"{p}-g{i}")
        iam.detach_role_policy(RoleName=f"{p}-r{i}", PolicyArn=pol)
        iam.delete_role(RoleName=f"{p}-r{i}")
    iam.delete_policy(PolicyArn=pol)


def make_ssh_key_and_cert():
    """A fresh RSA public key in OpenSSH form and a self-signed PEM certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ssh = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    der_b64 = "".join(cert.public_bytes(serialization.Encoding.PEM).decode().splitlines()[1:-1])
    return ssh, der_b64


def sweep_other(iam, sts):
    """Happy paths of the remaining implemented operations: shapes only, mostly."""
    p = "o" + rname(6)
    account = sts.get_caller_identity()["Account"]
    u = f"{p}-u"
    call(iam, "CreateUser", "CreateUser o", UserName=u)
    o = call(iam, "CreateOpenIDConnectProvider", Url=f"https://{p}.example.com", ClientIDList=["c1"], ThumbprintList=["a" * 40])
    if o:
        arn = o["OpenIDConnectProviderArn"]
        expect("OIDC ARN", arn == f"arn:aws:iam::{account}:oidc-provider/{p}.example.com", arn)
        call(iam, "GetOpenIDConnectProvider", OpenIDConnectProviderArn=arn)
        call(iam, "ListOpenIDConnectProviders")
        call(iam, "AddClientIDToOpenIDConnectProvider", OpenIDConnectProviderArn=arn, ClientID="c2")
        call(iam, "TagOpenIDConnectProvider", OpenIDConnectProviderArn=arn, Tags=[{"Key": "a", "Value": "b"}])
        call(iam, "ListOpenIDConnectProviderTags", OpenIDConnectProviderArn=arn)
        expect_error(iam, "CreateOpenIDConnectProvider", "EntityAlreadyExists", 409, what="OIDC duplicate", Url=f"https://{p}.example.com", ThumbprintList=["a" * 40])
        call(iam, "DeleteOpenIDConnectProvider", OpenIDConnectProviderArn=arn)
    ssh_key, cert_b64 = make_ssh_key_and_cert()
    meta = ('<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/">'
            '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>'
            + cert_b64 + '</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService '
            'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/></IDPSSODescriptor></EntityDescriptor>')
    sp = call(iam, "CreateSAMLProvider", Name=f"{p}-saml", SAMLMetadataDocument=meta + " " * 1000)
    if sp:
        call(iam, "GetSAMLProvider", SAMLProviderArn=sp["SAMLProviderArn"])
        call(iam, "ListSAMLProviders")
        call(iam, "DeleteSAMLProvider", SAMLProviderArn=sp["SAMLProviderArn"])
    k = call(iam, "UploadSSHPublicKey", UserName=u, SSHPublicKeyBody=ssh_key)
    if k:
        kid = k["SSHPublicKey"]["SSHPublicKeyId"]
        call(iam, "GetSSHPublicKey", UserName=u, SSHPublicKeyId=kid, Encoding="SSH")
        call(iam, "ListSSHPublicKeys", UserName=u)
        call(iam, "DeleteSSHPublicKey", UserName=u, SSHPublicKeyId=kid)
    sc = call(iam, "CreateServiceSpecificCredential", UserName=u, ServiceName="codecommit.amazonaws.com")
    if sc:
        call(iam, "ListServiceSpecificCredentials", UserName=u)
        call(iam, "DeleteServiceSpecificCredential", UserName=u, ServiceSpecificCredentialId=sc["ServiceSpecificCredential"]["ServiceSpecificCredentialId"])
    call(iam, "CreateLoginProfile", "CreateLoginProfile o", UserName=u, Password="Aa1!aaaaaaaaaaaa", PasswordResetRequired=True)
    call(iam, "UpdateLoginProfile", UserName=u, PasswordResetRequired=False)
    call(iam, "DeleteLoginProfile", "DeleteLoginProfile o", UserName=u)
    g = call(iam, "GenerateCredentialReport")
    if g:
        expect("GenerateCredentialReport State", g["State"] in ("STARTED", "INPROGRESS", "COMPLETE"), g)
    time.sleep(1)
    cr = call(iam, "GetCredentialReport")
    if cr:
        head = cr["Content"].decode().splitlines()[0]
        expect("credential report columns", head.startswith("user,arn,user_creation_time,password_enabled,password_last_used") and head.count(",") == 21, head)
        expect("credential report format", cr["ReportFormat"] == "text/csv", cr["ReportFormat"])
    j = call(iam, "GenerateServiceLastAccessedDetails", Arn=f"arn:aws:iam::{account}:user/{u}")
    if j:
        call(iam, "GetServiceLastAccessedDetails", JobId=j["JobId"])
    call(iam, "ListPoliciesGrantingServiceAccess", Arn=f"arn:aws:iam::{account}:user/{u}", ServiceNamespaces=["iam", "s3"])
    call(iam, "GetContextKeysForCustomPolicy", PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"aws:username": "x"}}}]})])
    sl = call(iam, "CreateServiceLinkedRole", AWSServiceName="elasticbeanstalk.amazonaws.com")
    if sl:
        R = sl["Role"]
        expect("service-linked role path", R["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/", R["Path"])
        d = call(iam, "DeleteServiceLinkedRole", RoleName=R["RoleName"])
        if d:
            call(iam, "GetServiceLinkedRoleDeletionStatus", DeletionTaskId=d["DeletionTaskId"])
    ip = call(iam, "CreateInstanceProfile", "CreateInstanceProfile o", InstanceProfileName=f"{p}-ip", Tags=[{"Key": "a", "Value": "b"}])
    if ip:
        expect("InstanceProfileId prefix", ip["InstanceProfile"]["InstanceProfileId"].startswith("AIPA"), ip["InstanceProfile"]["InstanceProfileId"])
        call(iam, "ListInstanceProfiles")
        call(iam, "ListInstanceProfileTags", InstanceProfileName=f"{p}-ip")
        call(iam, "DeleteInstanceProfile", "DeleteInstanceProfile o", InstanceProfileName=f"{p}-ip")
    call(iam, "ListSigningCertificates", UserName=u)
    call(iam, "ListServerCertificates")
    call(iam, "SetSecurityTokenServicePreferences", GlobalEndpointTokenVersion="v2Token")
    call(iam, "ListGroups", MaxItems=5)
    call(iam, "DeleteUser", "DeleteUser o", UserName=u)


def cli_checks(endpoint, creds_file):
    env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=creds_file, AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_PAGER="")
    env.pop("AWS_ACCESS_KEY_ID", None)
    env.pop("AWS_SECRET_ACCESS_KEY", None)
    p = "cli" + rname(5)

    def aws(*args, want_rc=0):
        r = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", "json", *args], env=env, capture_output=True, text=True, timeout=60)
        what = "aws " + " ".join(args[:2])
        if r.returncode != want_rc:
            fail(what, f"rc {r.returncode}, want {want_rc}: {r.stderr.strip()[:300]}")
            return None
        ok(what)
        return r

    for i in range(3):
        aws("iam", "create-user", "--user-name", f"{p}{i}", "--path", f"/{p}/")
    r = aws("iam", "list-users", "--path-prefix", f"/{p}/", "--page-size", "1")
    if r:
        names = [u["UserName"] for u in json.loads(r.stdout)["Users"]]
        expect("aws iam list-users --page-size 1 auto-paginates", sorted(names) == [f"{p}0", f"{p}1", f"{p}2"], names)
    r = aws("iam", "list-users", "--path-prefix", f"/{p}/", "--max-items", "2")
    if r:
        d = json.loads(r.stdout)
        expect("aws iam list-users --max-items 2 NextToken", len(d["Users"]) == 2 and "NextToken" in d, d)
        r2 = aws("iam", "list-users", "--path-prefix", f"/{p}/", "--max-items", "2", "--starting-token", d.get("NextToken", ""))
        if r2:
            d2 = json.loads(r2.stdout)
            expect("aws iam list-users --starting-token", len(d2["Users"]) == 1, d2)
    # aws CLI v1 exits 255 on a service error, v2 254.
    r = aws("iam", "get-user", "--user-name", f"{p}-nobody", want_rc=255)
    if r:
        expect("aws get-user NoSuchEntity text", "An error occurred (NoSuchEntity) when calling the GetUser operation: The user with name" in r.stderr, r.stderr)
    aws("sts", "get-caller-identity")
    aws("iam", "get-account-summary")
    aws("iam", "list-policies", "--scope", "AWS", "--max-items", "3")
    aws("iam", "get-account-authorization-details", "--filter", "User", "Role")
    for i in range(3):
        aws("iam", "delete-user", "--user-name", f"{p}{i}")


# ---------------------------------------------------------------- round 2

def make_server_cert():
    """A self-signed certificate and its unencrypted PKCS#1 key, both PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key


def expect_error_any(client, op, codes, status, what, contains=None, **kw):
    """Like expect_error where AWS documents the status but not which of codes it answers."""
    try:
        getattr(client, botocore.xform_name(op))(**kw)
    except ClientError as e:
        err = e.response["Error"]
        got = e.response["ResponseMetadata"]["HTTPStatusCode"]
        ok_ = err.get("Code") in codes and got == status and (contains is None or contains in err.get("Message", ""))
        expect(what, ok_, f"{err.get('Code')} {got}: {err.get('Message')}")
        return
    fail(what, f"succeeded, want one of {codes} {status}")


def check_listing(iam, op, key, want, name_of, what=None, **kw):
    """Pages op by hand (MaxItems=1 and 2) and with botocore's paginator and
    checks each gives exactly want, in the same order; then MaxItems=0 and a
    corrupt Marker."""
    what = what or op
    for size in (1, 2):
        items, pages = all_pages(iam, op, key, size, **kw)
        got = [name_of(x) for x in items]
        expect(f"{what} paged by {size}", sorted(got) == sorted(want) and pages >= (len(want) + size - 1) // size,
               (got, want, pages))
    py = botocore.xform_name(op)
    if iam.can_paginate(py):
        got = []
        for pg in iam.get_paginator(py).paginate(PaginationConfig={"PageSize": 2}, **kw):
            for k in key if isinstance(key, (list, tuple)) else [key]:
                got += [name_of(x) for x in pg.get(k, [])]
        expect(f"{what} paginator", sorted(got) == sorted(want), (got, want))
    expect_error(iam, op, "ValidationError", 400, what=f"{what} MaxItems=0", contains="failed to satisfy constraint", MaxItems=0, **kw)
    expect_error(iam, op, "ValidationError", 400, what=f"{what} corrupt Marker", Marker="!!not-a-marker!!", **kw)


def sweep_round2(iam, sts, endpoint, session_factory):
    """Round 2: listings of every kind, tags on every taggable entity, quotas,
    per-entity error wording, authorization details, outbound federation and
    STS error shapes."""
    p = "r" + rname(6)
    account = sts.get_caller_identity()["Account"]
    A = f"arn:aws:iam::{account}"
    ssh_key, _ = make_ssh_key_and_cert()
    cleanup = []

    # ---- a small world: 3 users in one group, 3 roles, 3 profiles, 3 policies
    u, g, r = f"{p}-u", f"{p}-g", f"{p}-r"
    users = [f"{u}{i}" for i in range(3)]
    iam.create_group(GroupName=g, Path=f"/{p}/")
    for x in users:
        iam.create_user(UserName=x, Path=f"/{p}/", Tags=[{"Key": "k", "Value": x}])
        iam.add_user_to_group(GroupName=g, UserName=x)
    groups = [g] + [f"{g}{i}" for i in range(1, 3)]
    for x in groups[1:]:
        iam.create_group(GroupName=x, Path=f"/{p}/")
        iam.add_user_to_group(GroupName=x, UserName=users[0])
    roles = [f"{r}{i}" for i in range(3)]
    for x in roles:
        iam.create_role(RoleName=x, Path=f"/{p}/", AssumeRolePolicyDocument=trust(account), Tags=[{"Key": "k", "Value": x}])
    profiles = [f"{p}-ip{i}" for i in range(3)]
    for i, x in enumerate(profiles):
        iam.create_instance_profile(InstanceProfileName=x, Path=f"/{p}/")
        iam.add_role_to_instance_profile(InstanceProfileName=x, RoleName=roles[0] if i == 0 else roles[i])
    pols = []
    for i in range(3):
        pols.append(iam.create_policy(PolicyName=f"{p}-p{i}", Path=f"/{p}/", PolicyDocument=ALLOW_S3)["Policy"]["Arn"])
        iam.attach_user_policy(UserName=users[0], PolicyArn=pols[i])
        iam.attach_group_policy(GroupName=g, PolicyArn=pols[i])
        iam.attach_role_policy(RoleName=roles[0], PolicyArn=pols[i])
        iam.put_user_policy(UserName=users[0], PolicyName=f"in{i}", PolicyDocument=ALLOW_S3)
        iam.put_group_policy(GroupName=g, PolicyName=f"in{i}", PolicyDocument=ALLOW_S3)
        iam.put_role_policy(RoleName=roles[0], PolicyName=f"in{i}", PolicyDocument=ALLOW_S3)
    for i in range(2):
        iam.create_policy_version(PolicyArn=pols[0], PolicyDocument=ALLOW_S3)

    # listings leave out what AWS documents they leave out
    iam.put_user_permissions_boundary(UserName=users[1], PermissionsBoundary=pols[2])
    iam.put_role_permissions_boundary(RoleName=roles[1], PermissionsBoundary=pols[2])
    lu = [x for x in iam.list_users(PathPrefix=f"/{p}/")["Users"] if x["UserName"] == users[1]]
    expect("ListUsers leaves out PermissionsBoundary and Tags", lu and "PermissionsBoundary" not in lu[0] and "Tags" not in lu[0], lu)
    lr = [x for x in iam.list_roles(PathPrefix=f"/{p}/")["Roles"] if x["RoleName"] == roles[1]]
    expect("ListRoles leaves out PermissionsBoundary, RoleLastUsed and Tags", lr and not {"PermissionsBoundary", "RoleLastUsed", "Tags"} & set(lr[0]), lr)
    gu = iam.get_user(UserName=users[1])["User"]
    expect("GetUser keeps PermissionsBoundary and Tags", gu.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == pols[2] and gu.get("Tags"), gu)
    iam.delete_user_permissions_boundary(UserName=users[1])
    iam.delete_role_permissions_boundary(RoleName=roles[1])

    # ---- every List* operation, paged
    nm = lambda k: (lambda x: x[k])  # noqa: E731
    check_listing(iam, "ListUsers", "Users", users, nm("UserName"), PathPrefix=f"/{p}/")
    check_listing(iam, "ListGroups", "Groups", groups, nm("GroupName"), PathPrefix=f"/{p}/")
    check_listing(iam, "ListRoles", "Roles", roles, nm("RoleName"), PathPrefix=f"/{p}/")
    check_listing(iam, "ListInstanceProfiles", "InstanceProfiles", profiles, nm("InstanceProfileName"), PathPrefix=f"/{p}/")
    check_listing(iam, "ListPolicies", "Policies", pols, nm("Arn"), Scope="Local", PathPrefix=f"/{p}/")
    check_listing(iam, "ListGroupsForUser", "Groups", groups, nm("GroupName"), UserName=users[0])
    check_listing(iam, "GetGroup", "Users", users, nm("UserName"), GroupName=g)
    check_listing(iam, "ListAttachedUserPolicies", "AttachedPolicies", pols, nm("PolicyArn"), UserName=users[0])
    check_listing(iam, "ListAttachedGroupPolicies", "AttachedPolicies", pols, nm("PolicyArn"), GroupName=g)
    check_listing(iam, "ListAttachedRolePolicies", "AttachedPolicies", pols, nm("PolicyArn"), RoleName=roles[0])
    check_listing(iam, "ListUserPolicies", "PolicyNames", ["in0", "in1", "in2"], lambda x: x, UserName=users[0])
    check_listing(iam, "ListGroupPolicies", "PolicyNames", ["in0", "in1", "in2"], lambda x: x, GroupName=g)
    check_listing(iam, "ListRolePolicies", "PolicyNames", ["in0", "in1", "in2"], lambda x: x, RoleName=roles[0])
    check_listing(iam, "ListPolicyVersions", "Versions", ["v1", "v2", "v3"], nm("VersionId"), PolicyArn=pols[0])
    check_listing(iam, "ListEntitiesForPolicy", ["PolicyUsers", "PolicyGroups", "PolicyRoles"], [users[0], g, roles[0]],
                  lambda x: x.get("UserName") or x.get("GroupName") or x.get("RoleName"), PolicyArn=pols[1])
    check_listing(iam, "ListUserTags", "Tags", ["k"], nm("Key"), UserName=users[1])
    ak = [iam.create_access_key(UserName=users[1])["AccessKey"]["AccessKeyId"] for _ in range(2)]
    check_listing(iam, "ListAccessKeys", "AccessKeyMetadata", ak, nm("AccessKeyId"), UserName=users[1])
    sshs = []
    for i in range(5):
        o = call(iam, "UploadSSHPublicKey", f"UploadSSHPublicKey {i + 1} of 5", UserName=users[1], SSHPublicKeyBody=make_ssh_key_and_cert()[0])
        if o:
            sshs.append(o["SSHPublicKey"]["SSHPublicKeyId"])
    expect_error(iam, "UploadSSHPublicKey", "LimitExceeded", 409, what="UploadSSHPublicKey sixth key (quota 5)", UserName=users[1], SSHPublicKeyBody=ssh_key)
    check_listing(iam, "ListSSHPublicKeys", "SSHPublicKeys", sshs, nm("SSHPublicKeyId"), UserName=users[1])
    certs = []
    for i in range(2):
        o = call(iam, "UploadSigningCertificate", f"UploadSigningCertificate {i + 1} of 2", UserName=users[2], CertificateBody=make_server_cert()[0])
        if o:
            c = o["Certificate"]
            certs.append(c["CertificateId"])
            expect(f"UploadSigningCertificate {i + 1} Active", c["Status"] == "Active" and c["UserName"] == users[2], c)
    expect_error(iam, "UploadSigningCertificate", "LimitExceeded", 409, what="UploadSigningCertificate third (quota 2)", UserName=users[2],
                 CertificateBody=make_server_cert()[0])
    check_listing(iam, "ListSigningCertificates", "Certificates", certs, nm("CertificateId"), UserName=users[2])
    check_listing(iam, "ListInstanceProfilesForRole", "InstanceProfiles", [profiles[0]], nm("InstanceProfileName"), RoleName=roles[0])
    # a Marker from another listing is not a position in this one
    lu = iam.list_users(PathPrefix=f"/{p}/", MaxItems=1)
    if lu.get("Marker"):
        expect_error_any(iam, "ListRoles", ("ValidationError", "InvalidInput"), 400, "ListRoles with a ListUsers Marker",
                         contains="Marker", Marker=lu["Marker"], PathPrefix=f"/{p}/")
        expect_error_any(iam, "ListAccessKeys", ("ValidationError", "InvalidInput"), 400, "ListAccessKeys with a ListUsers Marker",
                         contains="Marker", Marker=lu["Marker"], UserName=users[1])
        expect_error_any(iam, "ListUserTags", ("ValidationError", "InvalidInput"), 400, "ListUserTags with a ListUsers Marker",
                         contains="Marker", Marker=lu["Marker"], UserName=users[1])

    # markers stay within the model's 320 characters even for long ARNs
    lp_path = f"/{p}/" + ("q" * 49 + "/") * 9
    longs = [iam.create_policy(PolicyName=p + ("L" * 119) + f"{i:02d}", Path=lp_path, PolicyDocument=ALLOW_S3)["Policy"]["Arn"] for i in range(3)]
    for a in longs:
        iam.attach_role_policy(RoleName=roles[1], PolicyArn=a)
    # (serialNumberType allows 256 characters, so the path is shorter here)
    mfa_path = f"/{p}/" + ("q" * 49 + "/") * 2
    lmfa = [iam.create_virtual_mfa_device(VirtualMFADeviceName=p + ("M" * 93) + f"{i:02d}", Path=mfa_path)["VirtualMFADevice"]["SerialNumber"] for i in range(2)]
    check_listing(iam, "ListPolicies", "Policies", longs, nm("Arn"), what="ListPolicies long names and paths", Scope="Local", PathPrefix=lp_path)
    check_listing(iam, "ListAttachedRolePolicies", "AttachedPolicies", longs, nm("PolicyArn"), what="ListAttachedRolePolicies long ARNs", RoleName=roles[1])
    vm, pages = all_pages(iam, "ListVirtualMFADevices", "VirtualMFADevices", 1)
    expect("ListVirtualMFADevices long serials paged", set(lmfa) <= {x["SerialNumber"] for x in vm}, (len(vm), pages))
    for a in longs:
        iam.detach_role_policy(RoleName=roles[1], PolicyArn=a)
        iam.delete_policy(PolicyArn=a)
    for x in lmfa:
        iam.delete_virtual_mfa_device(SerialNumber=x)

    # ---- tags on every taggable entity
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{p}-mfa", Tags=[{"Key": "k", "Value": "mfa"}])["VirtualMFADevice"]["SerialNumber"]
    oidc = iam.create_open_id_connect_provider(Url=f"https://{p}.example.com", ThumbprintList=["a" * 40], ClientIDList=["c"],
                                               Tags=[{"Key": "k", "Value": "oidc"}])["OpenIDConnectProviderArn"]
    _, cert_b64 = make_ssh_key_and_cert()
    meta = ('<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/">'
            '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>'
            + cert_b64 + '</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService '
            'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/></IDPSSODescriptor></EntityDescriptor>')
    saml = iam.create_saml_provider(Name=f"{p}-saml", SAMLMetadataDocument=meta, Tags=[{"Key": "k", "Value": "saml"}])["SAMLProviderArn"]
    scert, skey = make_server_cert()
    sc = call(iam, "UploadServerCertificate", ServerCertificateName=f"{p}-sc", Path=f"/{p}/", CertificateBody=scert, PrivateKey=skey,
              Tags=[{"Key": "k", "Value": "sc"}])
    if sc:
        M = sc["ServerCertificateMetadata"]
        expect("UploadServerCertificate Arn", M["Arn"] == f"{A}:server-certificate/{p}/{p}-sc", M["Arn"])
        expect("UploadServerCertificate Id prefix ASCA", M["ServerCertificateId"].startswith("ASCA"), M["ServerCertificateId"])
        expect("UploadServerCertificate Expiration", isinstance(M.get("Expiration"), datetime.datetime), M)
    expect_error(iam, "UploadServerCertificate", "EntityAlreadyExists", 409, what="UploadServerCertificate duplicate",
                 ServerCertificateName=f"{p}-sc", CertificateBody=scert, PrivateKey=skey)
    expect_error(iam, "UploadServerCertificate", "MalformedCertificate", 400, what="UploadServerCertificate garbage body",
                 ServerCertificateName=f"{p}-sc2", CertificateBody="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", PrivateKey=skey)
    expect_error(iam, "UploadServerCertificate", "KeyPairMismatch", 400, what="UploadServerCertificate other key",
                 ServerCertificateName=f"{p}-sc3", CertificateBody=scert, PrivateKey=make_server_cert()[1])
    gs = call(iam, "GetServerCertificate", ServerCertificateName=f"{p}-sc")
    if gs:
        expect("GetServerCertificate body echoed", gs["ServerCertificate"]["CertificateBody"].strip() == scert.strip())
        expect("GetServerCertificate no private key", "PrivateKey" not in gs["ServerCertificate"], gs["ServerCertificate"].keys())
    check_listing(iam, "ListServerCertificates", "ServerCertificateMetadataList", [f"{p}-sc"], nm("ServerCertificateName"), PathPrefix=f"/{p}/")
    taggable = [
        ("User", {"UserName": users[2]}),
        ("Role", {"RoleName": roles[2]}),
        ("Policy", {"PolicyArn": pols[2]}),
        ("InstanceProfile", {"InstanceProfileName": profiles[2]}),
        ("OpenIDConnectProvider", {"OpenIDConnectProviderArn": oidc}),
        ("SAMLProvider", {"SAMLProviderArn": saml}),
        ("MFADevice", {"SerialNumber": sn}),
        ("ServerCertificate", {"ServerCertificateName": f"{p}-sc"}),
    ]
    missing = {
        "User": {"UserName": f"{p}-none"}, "Role": {"RoleName": f"{p}-none"}, "Policy": {"PolicyArn": f"{A}:policy/{p}-none"},
        "InstanceProfile": {"InstanceProfileName": f"{p}-none"}, "OpenIDConnectProvider": {"OpenIDConnectProviderArn": f"{A}:oidc-provider/{p}-none.example.com"},
        "SAMLProvider": {"SAMLProviderArn": f"{A}:saml-provider/{p}-none"}, "MFADevice": {"SerialNumber": f"{A}:mfa/{p}-none"},
        "ServerCertificate": {"ServerCertificateName": f"{p}-none"},
    }
    for kind, ident in taggable:
        call(iam, f"Tag{kind}", f"Tag{kind}", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}], **ident)
        lt = call(iam, f"List{kind}Tags", f"List{kind}Tags", **ident)
        if lt:
            expect(f"List{kind}Tags content", {(t["Key"], t["Value"]) for t in lt["Tags"] if t["Key"] != "k"} == {("a", "1"), ("b", "2")}, lt["Tags"])
            expect(f"List{kind}Tags not truncated", lt["IsTruncated"] is False and "Marker" not in lt, lt)
        lt = call(iam, f"List{kind}Tags", f"List{kind}Tags MaxItems=1", MaxItems=1, **ident)
        if lt:
            expect(f"List{kind}Tags MaxItems=1 truncated", lt["IsTruncated"] is True and len(lt["Tags"]) == 1 and lt.get("Marker"), lt)
        call(iam, f"Untag{kind}", f"Untag{kind}", TagKeys=["a", "never-set"], **ident)
        lt = iam.__getattribute__(botocore.xform_name(f"List{kind}Tags"))(**ident)
        expect(f"Untag{kind} removed a only", "a" not in [t["Key"] for t in lt["Tags"]] and "b" in [t["Key"] for t in lt["Tags"]], lt["Tags"])
        expect_error(iam, f"Tag{kind}", "LimitExceeded", 409, what=f"Tag{kind} over 50",
                     Tags=[{"Key": f"t{i}", "Value": "v"} for i in range(50)], **ident)
        expect_error(iam, f"Tag{kind}", "NoSuchEntity", 404, what=f"Tag{kind} missing entity", Tags=[{"Key": "a", "Value": "1"}], **missing[kind])
        expect_error(iam, f"List{kind}Tags", "NoSuchEntity", 404, what=f"List{kind}Tags missing entity", **missing[kind])
        expect_error(iam, f"Untag{kind}", "ValidationError", 400, what=f"Untag{kind} key too long", TagKeys=["k" * 129], **ident)

    # "this operation does not return tags" (ListPolicies, ListInstanceProfiles,
    # ListVirtualMFADevices), while the Get operations do
    lp_ = [x for x in iam.list_policies(Scope="Local", PathPrefix=f"/{p}/")["Policies"] if x["Arn"] == pols[2]]
    expect("ListPolicies leaves out Tags", lp_ and "Tags" not in lp_[0], lp_)
    expect("GetPolicy has Tags", iam.get_policy(PolicyArn=pols[2])["Policy"].get("Tags"), pols[2])
    li_ = [x for x in iam.list_instance_profiles(PathPrefix=f"/{p}/")["InstanceProfiles"] if x["InstanceProfileName"] == profiles[2]]
    expect("ListInstanceProfiles leaves out Tags", li_ and "Tags" not in li_[0], li_)
    expect("GetInstanceProfile has Tags", iam.get_instance_profile(InstanceProfileName=profiles[2])["InstanceProfile"].get("Tags"), profiles[2])
    lv_ = [x for x in iam.list_virtual_mfa_devices()["VirtualMFADevices"] if x["SerialNumber"] == sn]
    expect("ListVirtualMFADevices leaves out Tags", lv_ and "Tags" not in lv_[0], lv_)

    # ---- quotas
    extra = [iam.create_policy(PolicyName=f"{p}-x{i}", PolicyDocument=ALLOW_S3)["Policy"]["Arn"] for i in range(8)]
    for a in extra[:7]:
        iam.attach_role_policy(RoleName=roles[0], PolicyArn=a)
        iam.attach_group_policy(GroupName=g, PolicyArn=a)
    expect_error(iam, "AttachRolePolicy", "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10", what="AttachRolePolicy 11th",
                 RoleName=roles[0], PolicyArn=extra[7])
    expect_error(iam, "AttachGroupPolicy", "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerGroup: 10", what="AttachGroupPolicy 11th",
                 GroupName=g, PolicyArn=extra[7])
    # inline policy totals (whitespace is not counted); fresh entities so
    # earlier inline policies do not share the budget
    def sized(n):
        base = {"Version": "2012-10-17", "Statement": [{"Sid": "", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        base["Statement"][0]["Sid"] = "A" * (n - len(json.dumps(base, separators=(",", ":"))))
        return json.dumps(base, separators=(",", ":"))
    iam.create_user(UserName=f"{p}-sz")
    iam.create_group(GroupName=f"{p}-sz")
    iam.create_role(RoleName=f"{p}-sz", AssumeRolePolicyDocument=trust(account))
    for kind, op, ident, lim in (("user", "PutUserPolicy", {"UserName": f"{p}-sz"}, 2048), ("group", "PutGroupPolicy", {"GroupName": f"{p}-sz"}, 5120),
                                 ("role", "PutRolePolicy", {"RoleName": f"{p}-sz"}, 10240)):
        expect_error(iam, op, "LimitExceeded", 409, f"Maximum policy size of {lim} bytes exceeded for {kind} {p}-sz",
                     what=f"{op} {lim + 1} characters", PolicyName="big", PolicyDocument=sized(lim + 1), **ident)
        call(iam, op, f"{op} exactly {lim} characters", PolicyName="big", PolicyDocument=sized(lim), **ident)
        call(iam, op, f"{op} {lim} characters plus whitespace", PolicyName="big", PolicyDocument=sized(lim).replace(",", ", "), **ident)
        expect_error(iam, op, "LimitExceeded", 409, what=f"{op} second policy over the total", PolicyName="more", PolicyDocument=ALLOW_S3, **ident)
    call(iam, "CreatePolicy", "CreatePolicy exactly 6144", PolicyName=f"{p}-6144", PolicyDocument=sized(6144))
    expect_error(iam, "CreatePolicy", "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144", what="CreatePolicy 6145",
                 PolicyName=f"{p}-6145", PolicyDocument=sized(6145))
    expect_error(iam, "CreatePolicyVersion", "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144", what="CreatePolicyVersion 6145",
                 PolicyArn=f"{A}:policy/{p}-6144", PolicyDocument=sized(6145))
    tr = json.loads(trust(account))
    tr["Statement"][0]["Sid"] = ""
    tr["Statement"][0]["Sid"] = "A" * (2048 - len(json.dumps(tr, separators=(",", ":"))))
    call(iam, "UpdateAssumeRolePolicy", "UpdateAssumeRolePolicy exactly 2048", RoleName=f"{p}-sz", PolicyDocument=json.dumps(tr, separators=(",", ":")))
    tr["Statement"][0]["Sid"] += "A"
    expect_error(iam, "CreateRole", "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048", what="CreateRole trust 2049",
                 RoleName=f"{p}-sz2", AssumeRolePolicyDocument=json.dumps(tr, separators=(",", ":")))
    sc2 = call(iam, "CreateServiceSpecificCredential", "CreateServiceSpecificCredential 1", UserName=users[2], ServiceName="codecommit.amazonaws.com")
    sc3 = call(iam, "CreateServiceSpecificCredential", "CreateServiceSpecificCredential 2", UserName=users[2], ServiceName="codecommit.amazonaws.com")
    expect_error(iam, "CreateServiceSpecificCredential", "LimitExceeded", 409, what="CreateServiceSpecificCredential third (quota 2 per service)",
                 UserName=users[2], ServiceName="codecommit.amazonaws.com")
    expect_error(iam, "CreateServiceSpecificCredential", "NotSupportedService", 404, what="CreateServiceSpecificCredential unknown service",
                 UserName=users[2], ServiceName="nope.amazonaws.com")
    expect_error(iam, "AddClientIDToOpenIDConnectProvider", "ValidationError", 400, what="AddClientID 256 characters",
                 OpenIDConnectProviderArn=oidc, ClientID="c" * 256)
    expect_error(iam, "UpdateOpenIDConnectProviderThumbprint", "InvalidInput", 400, what="UpdateThumbprint 6 thumbprints",
                 OpenIDConnectProviderArn=oidc, ThumbprintList=[f"{i:040d}" for i in range(6)])

    # ---- DeleteConflict for every entity with dependants
    expect_error(iam, "DeleteUser", "DeleteConflict", 409, contains="Cannot delete entity, must ", what="DeleteUser with SSH keys etc.", UserName=users[1])
    expect_error(iam, "DeleteUser", "DeleteConflict", 409, contains="Cannot delete entity, must ", what="DeleteUser with signing certs", UserName=users[2])
    expect_error(iam, "DeleteGroup", "DeleteConflict", 409, contains="Cannot delete entity, must ", what="DeleteGroup with members", GroupName=g)
    expect_error(iam, "DeleteRole", "DeleteConflict", 409, contains="Cannot delete entity, must ", what="DeleteRole with everything", RoleName=roles[0])
    expect_error(iam, "DeleteRole", "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.",
                 what="DeleteRole in profile", RoleName=roles[1])
    expect_error(iam, "DeleteInstanceProfile", "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.",
                 InstanceProfileName=profiles[1])
    expect_error(iam, "DeletePolicy", "DeleteConflict", 409, "Cannot delete a policy attached to entities.", what="DeletePolicy attached to role", PolicyArn=pols[0])

    # ---- per-entity NoSuchEntity and EntityAlreadyExists wording
    nse = [
        ("GetUser", {"UserName": f"{p}-none"}, f"The user with name {p}-none cannot be found."),
        ("GetRole", {"RoleName": f"{p}-none"}, f"The role with name {p}-none cannot be found."),
        ("GetGroup", {"GroupName": f"{p}-none"}, f"The group with name {p}-none cannot be found."),
        ("GetInstanceProfile", {"InstanceProfileName": f"{p}-none"}, f"Instance Profile {p}-none cannot be found."),
        ("GetPolicy", {"PolicyArn": f"{A}:policy/{p}-none"}, f"Policy {A}:policy/{p}-none was not found."),
        ("GetPolicyVersion", {"PolicyArn": pols[1], "VersionId": "v7"}, f"Policy {pols[1]} version v7 does not exist or is not attachable."),
        ("GetRolePolicy", {"RoleName": roles[1], "PolicyName": "none"}, "The role policy with name none cannot be found."),
        ("GetGroupPolicy", {"GroupName": g, "PolicyName": "none"}, "The group policy with name none cannot be found."),
        ("GetServerCertificate", {"ServerCertificateName": f"{p}-none"}, f"The Server Certificate with name {p}-none cannot be found."),
        ("GetOpenIDConnectProvider", {"OpenIDConnectProviderArn": f"{A}:oidc-provider/{p}-none.example.com"},
         f"OpenIDConnect Provider not found for arn {A}:oidc-provider/{p}-none.example.com"),
        ("GetLoginProfile", {"UserName": users[2]}, f"Login Profile for User {users[2]} cannot be found."),
        ("GetSSHPublicKey", {"UserName": users[2], "SSHPublicKeyId": "APKAEIBAERJR2EXAMPLE", "Encoding": "SSH"},
         "The Public Key with id APKAEIBAERJR2EXAMPLE cannot be found."),
        ("DeleteSigningCertificate", {"UserName": users[1], "CertificateId": "A" * 24}, f"The Certificate with id {'A' * 24} cannot be found."),
        ("DeleteAccessKey", {"UserName": users[2], "AccessKeyId": "AKIA" + "B" * 16}, f"The Access Key with id AKIA{'B' * 16} cannot be found."),
        ("RemoveUserFromGroup", {"UserName": users[2], "GroupName": groups[1]}, None),
        ("DetachRolePolicy", {"RoleName": roles[2], "PolicyArn": pols[0]}, None),
        ("DeleteSAMLProvider", {"SAMLProviderArn": f"{A}:saml-provider/{p}-none"}, None),
        ("DeleteVirtualMFADevice", {"SerialNumber": f"{A}:mfa/{p}-none"}, None),
        ("ListEntitiesForPolicy", {"PolicyArn": f"{A}:policy/{p}-none"}, None),
        ("ListPolicyVersions", {"PolicyArn": f"{A}:policy/{p}-none"}, None),
        ("UpdateRoleDescription", {"RoleName": f"{p}-none", "Description": "x"}, f"The role with name {p}-none cannot be found."),
        ("ListGroupsForUser", {"UserName": f"{p}-none"}, f"The user with name {p}-none cannot be found."),
        ("DeactivateMFADevice", {"UserName": users[2], "SerialNumber": sn}, None),
    ]
    for op, kw, msg in nse:
        expect_error(iam, op, "NoSuchEntity", 404, msg, what=f"{op} -> NoSuchEntity", **kw)
    eae = [
        ("CreateGroup", {"GroupName": g.upper()}, f"Group with name {g.upper()} already exists."),
        ("CreateRole", {"RoleName": roles[1], "AssumeRolePolicyDocument": trust(account)}, f"Role with name {roles[1]} already exists."),
        ("CreateInstanceProfile", {"InstanceProfileName": profiles[1]}, f"Instance Profile {profiles[1]} already exists."),
        ("CreateVirtualMFADevice", {"VirtualMFADeviceName": f"{p}-mfa"}, "MFADevice entity at the same path and name already exists."),
        ("CreateOpenIDConnectProvider", {"Url": f"https://{p}.example.com", "ThumbprintList": ["a" * 40]}, f"Provider with url https://{p}.example.com already exists."),
        ("CreatePolicy", {"PolicyName": f"{p}-p1", "PolicyDocument": ALLOW_S3}, f"A policy called {p}-p1 already exists. Duplicate names are not allowed."),
        ("CreateSAMLProvider", {"Name": f"{p}-saml", "SAMLMetadataDocument": meta}, None),
        ("UpdateRole", None, None),
    ]
    for op, kw, msg in eae:
        if kw is None:
            continue
        expect_error(iam, op, "EntityAlreadyExists", 409, msg, what=f"{op} -> EntityAlreadyExists", **kw)
    call(iam, "CreateLoginProfile", "CreateLoginProfile r2", UserName=users[2], Password="Aa1!aaaaaaaaaaaa")
    expect_error(iam, "CreateLoginProfile", "EntityAlreadyExists", 409, f"Login Profile for user {users[2]} already exists.",
                 what="CreateLoginProfile twice", UserName=users[2], Password="Aa1!aaaaaaaaaaaa")
    expect_error(iam, "UpdateGroup", "EntityAlreadyExists", 409, what="UpdateGroup rename to existing", GroupName=groups[1], NewGroupName=groups[2])

    # ---- server-side validation wording (client-side validation is off)
    v = "1 validation error detected: "
    pat = r"[\w+=,.@-]+"
    vals = [
        ("CreateGroup", {"GroupName": "bad name"}, f"{v}Value 'bad name' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: {pat}"),
        ("CreateRole", {"RoleName": "bad/name", "AssumeRolePolicyDocument": trust(account)},
         f"{v}Value 'bad/name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: {pat}"),
        ("CreateInstanceProfile", {"InstanceProfileName": "i" * 129},
         f"{v}Value '{'i' * 129}' at 'instanceProfileName' failed to satisfy constraint: Member must have length less than or equal to 128"),
        ("CreatePolicy", {"PolicyName": "p" * 129, "PolicyDocument": ALLOW_S3},
         f"{v}Value '{'p' * 129}' at 'policyName' failed to satisfy constraint: Member must have length less than or equal to 128"),
        ("CreateRole", {"RoleName": f"{p}-v", "AssumeRolePolicyDocument": trust(account), "Description": "d" * 1001}, None),
        ("CreateRole", {"RoleName": f"{p}-v", "AssumeRolePolicyDocument": trust(account), "MaxSessionDuration": 43201},
         f"{v}Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"),
        ("CreateVirtualMFADevice", {"VirtualMFADeviceName": "bad name"}, None),
        ("UpdateAccessKey", {"UserName": users[1], "AccessKeyId": "short", "Status": "Active"},
         f"{v}Value 'short' at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16"),
        ("GetPolicy", {"PolicyArn": "arn:aws:iam"}, f"{v}Value 'arn:aws:iam' at 'policyArn' failed to satisfy constraint: Member must have length greater than or equal to 20"),
        ("GetRole", {}, f"{v}Value null at 'roleName' failed to satisfy constraint: Member must not be null"),
        ("CreateUser", {"UserName": f"{p}-v", "PermissionsBoundary": "x"}, None),
        ("ListPolicies", {"PolicyUsageFilter": "Bogus"}, None),
        ("ListRoles", {"MaxItems": 1001}, f"{v}Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"),
        ("ListUsers", {"PathPrefix": "no-slash"}, None),
        ("GenerateServiceLastAccessedDetails", {"Arn": "x"}, None),
        ("GetAccountAuthorizationDetails", {"MaxItems": 0}, f"{v}Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        ("SetSecurityTokenServicePreferences", {"GlobalEndpointTokenVersion": "v3Token"}, None),
        ("UploadSSHPublicKey", {"UserName": users[2], "SSHPublicKeyBody": ""}, None),
    ]
    for op, kw, msg in vals:
        expect_error(iam, op, "ValidationError", 400, msg, what=f"{op} {sorted(kw)} -> ValidationError", **kw)
    # iamd keeps no deletion tasks (deletion is immediate), so only a
    # malformed task ID is refused; AWS documents InvalidInput for it.
    expect_error(iam, "GetServiceLinkedRoleDeletionStatus", "InvalidInput", 400, what="GetServiceLinkedRoleDeletionStatus malformed id",
                 DeletionTaskId="task/not-a-task")
    expect_error(iam, "UploadSSHPublicKey", "InvalidPublicKey", 400, what="UploadSSHPublicKey garbage", UserName=users[2], SSHPublicKeyBody="ssh-rsa AAAA garbage")
    expect_error(iam, "CreateUser", "InvalidInput", 400, what="CreateUser boundary not a policy ARN", UserName=f"{p}-v",
                 PermissionsBoundary=f"{A}:user/{users[0]}")
    expect_error(iam, "UpdateUser", "NoSuchEntity", 404, what="UpdateUser missing", UserName=f"{p}-none", NewPath="/x/")

    # ---- malformed policy documents
    D = lambda *st: json.dumps({"Version": "2012-10-17", "Statement": list(st)})  # noqa: E731
    mal = [
        ("syntax", "{", "Syntax errors in policy."),
        ("unknown element", D({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Foo": "x"}), "Syntax errors in policy."),
        ("action without vendor", D({"Effect": "Allow", "Action": "GetObject", "Resource": "*"}),
         "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ("resource not an ARN", D({"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}), 'Resource bucket must be in ARN format or "*".'),
        ("no action", D({"Effect": "Allow", "Resource": "*"}), "Policy statement must contain actions."),
        ("duplicate Sid", D({"Sid": "a", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Sid": "a", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
         "Statement IDs (SID) in a single policy must be unique."),
        ("Sid not alphanumeric", D({"Sid": "a b", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
         "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"),
        ("NotPrincipal", D({"Effect": "Allow", "NotPrincipal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}), "Policy document should not specify a principal."),
        ("Action and NotAction", D({"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:x", "Resource": "*"}), None),
        ("empty Statement", D(), None),
        ("JSON array", "[]", None),
    ]
    for name, doc, msg in mal:
        expect_error(iam, "CreatePolicy", "MalformedPolicyDocument", 400, msg, what=f"CreatePolicy {name}", PolicyName=f"{p}-mal", PolicyDocument=doc)
    expect_error(iam, "PutRolePolicy", "MalformedPolicyDocument", 400, "Policy document should not specify a principal.",
                 what="PutRolePolicy with Principal", RoleName=roles[2], PolicyName="x", PolicyDocument=D({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}))
    trm = [
        ("Resource in trust", D({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}), "Has prohibited field Resource"),
        ("trust without Principal", D({"Effect": "Allow", "Action": "sts:AssumeRole"}), "Missing required field Principal"),
        ("trust with s3 action", D({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "s3:GetObject"}),
         "AssumeRole policy may only specify STS AssumeRole actions."),
        ("trust principal not an ARN", D({"Effect": "Allow", "Principal": {"AWS": "notanarn"}, "Action": "sts:AssumeRole"}), 'Invalid principal in policy: "AWS":"notanarn"'),
    ]
    for name, doc, msg in trm:
        expect_error(iam, "UpdateAssumeRolePolicy", "MalformedPolicyDocument", 400, msg, what=f"UpdateAssumeRolePolicy {name}", RoleName=roles[2], PolicyDocument=doc)

    # ---- account authorization details
    ad = {}
    for page in iam.get_paginator("get_account_authorization_details").paginate(Filter=["User", "Group", "Role", "LocalManagedPolicy"]):
        for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
            ad.setdefault(k, []).extend(page.get(k, []))
    ud = {x["UserName"]: x for x in ad["UserDetailList"]}.get(users[0], {})
    expect("AuthDetails user inline policies", sorted(x["PolicyName"] for x in ud.get("UserPolicyList", [])) == ["in0", "in1", "in2"], ud.get("UserPolicyList"))
    expect("AuthDetails user groups", sorted(ud.get("GroupList", [])) == sorted(groups), ud.get("GroupList"))
    expect("AuthDetails user tags", ud.get("Tags") == [{"Key": "k", "Value": users[0]}], ud.get("Tags"))
    expect("AuthDetails user inline document decoded", isinstance((ud.get("UserPolicyList") or [{}])[0].get("PolicyDocument"), dict), ud.get("UserPolicyList"))
    gd = {x["GroupName"]: x for x in ad["GroupDetailList"]}.get(g, {})
    expect("AuthDetails group inline + attached", len(gd.get("GroupPolicyList", [])) == 3 and len(gd.get("AttachedManagedPolicies", [])) == 10, gd)
    rd = {x["RoleName"]: x for x in ad["RoleDetailList"]}.get(roles[0], {})
    expect("AuthDetails role instance profile", [x["InstanceProfileName"] for x in rd.get("InstanceProfileList", [])] == [profiles[0]], rd.get("InstanceProfileList"))
    expect("AuthDetails role trust decoded", isinstance(rd.get("AssumeRolePolicyDocument"), dict), rd.get("AssumeRolePolicyDocument"))
    expect("AuthDetails role inline", len(rd.get("RolePolicyList", [])) == 3, rd.get("RolePolicyList"))
    pd = {x["Arn"]: x for x in ad["Policies"]}.get(pols[0], {})
    vl = pd.get("PolicyVersionList", [])
    expect("AuthDetails policy versions", sorted(x["VersionId"] for x in vl) == ["v1", "v2", "v3"] and sum(x["IsDefaultVersion"] for x in vl) == 1, vl)
    expect("AuthDetails policy AttachmentCount", pd.get("AttachmentCount") == 3, pd.get("AttachmentCount"))
    one = call(iam, "GetAccountAuthorizationDetails", "AuthDetails Filter=Group", Filter=["Group"])
    if one:
        expect("AuthDetails Filter=Group only groups", one.get("UserDetailList", []) == [] and one.get("RoleDetailList", []) == [] and one.get("Policies", []) == [], one.keys())
    expect_error(iam, "GetAccountAuthorizationDetails", "ValidationError", 400, what="AuthDetails corrupt Marker", Marker="!!")

    # ---- account summary counts move with the entities
    before = iam.get_account_summary()["SummaryMap"]
    iam.create_user(UserName=f"{p}-cnt")
    iam.create_group(GroupName=f"{p}-cnt")
    iam.create_instance_profile(InstanceProfileName=f"{p}-cnt")
    after = iam.get_account_summary()["SummaryMap"]
    for k in ("Users", "Groups", "InstanceProfiles"):
        expect(f"GetAccountSummary {k} +1", after.get(k, 0) == before.get(k, 0) + 1, (before.get(k), after.get(k)))
    expect("GetAccountSummary quotas (AWS defaults)", (after.get("RolesQuota"), after.get("GroupsQuota"), after.get("InstanceProfilesQuota"),
                                                       after.get("ServerCertificatesQuota"), after.get("PoliciesQuota"), after.get("RolePolicySizeQuota"),
                                                       after.get("GroupPolicySizeQuota"), after.get("AttachedPoliciesPerRoleQuota"),
                                                       after.get("SigningCertificatesPerUserQuota"), after.get("AssumeRolePolicySizeQuota")) ==
           (1000, 300, 1000, 20, 1500, 10240, 5120, 10, 2, 2048), after)
    expect("GetAccountSummary ServerCertificates counts ours", after.get("ServerCertificates", 0) >= 1, after.get("ServerCertificates"))
    expect("GetAccountSummary Providers counts OIDC+SAML", after.get("Providers", 0) >= 2, after.get("Providers"))
    for x in ("user", "group", "instance_profile"):
        getattr(iam, f"delete_{x}")(**{{"user": "UserName", "group": "GroupName", "instance_profile": "InstanceProfileName"}[x]: f"{p}-cnt"})

    # ---- outbound web identity federation (restores the account's state)
    # GetOutboundWebIdentityFederationInfo answers FeatureDisabled only
    # before the first enable; afterwards it reports JwtVendingEnabled
    # ("the current enabled/disabled status of the feature").
    try:
        was_on = iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"]
    except ClientError:
        was_on = False
    if was_on:
        call(iam, "DisableOutboundWebIdentityFederation", "DisableOutboundWebIdentityFederation (reset)")
    try:
        off = iam.get_outbound_web_identity_federation_info()
        expect("GetOutboundWebIdentityFederationInfo after disable", off["JwtVendingEnabled"] is False and off["IssuerIdentifier"].startswith("http"), off)
    except ClientError as e:
        expect("GetOutboundWebIdentityFederationInfo never enabled", e.response["Error"]["Code"] == "FeatureDisabled"
               and e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, e.response["Error"])
    expect_error(iam, "DisableOutboundWebIdentityFederation", "FeatureDisabled", 404, what="DisableOutboundWebIdentityFederation twice")
    expect_error(sts, "GetWebIdentityToken", "OutboundWebIdentityFederationDisabledException", 403, what="GetWebIdentityToken disabled",
                 Audience=["https://api.example.com"], SigningAlgorithm="RS256")
    en = call(iam, "EnableOutboundWebIdentityFederation")
    expect_error(iam, "EnableOutboundWebIdentityFederation", "FeatureEnabled", 409, what="EnableOutboundWebIdentityFederation twice")
    info = call(iam, "GetOutboundWebIdentityFederationInfo")
    if en and info:
        expect("Outbound issuer stable", en["IssuerIdentifier"] == info["IssuerIdentifier"] and info.get("JwtVendingEnabled") is True, (en, info))
    import base64 as _b64

    def claims(tok):
        seg = tok.split(".")[1]
        return json.loads(_b64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))

    for alg in ("RS256", "ES384"):
        wt = call(sts, "GetWebIdentityToken", f"GetWebIdentityToken {alg}", Audience=["https://api.example.com"], SigningAlgorithm=alg, DurationSeconds=120)
        if wt and info:
            hdr = json.loads(_b64.urlsafe_b64decode(wt["WebIdentityToken"].split(".")[0] + "=="))
            c = claims(wt["WebIdentityToken"])
            expect(f"GetWebIdentityToken {alg} header alg", hdr.get("alg") == alg and hdr.get("kid"), hdr)
            expect(f"GetWebIdentityToken {alg} iss/aud/sub", c.get("iss") == info["IssuerIdentifier"] and c.get("aud") in ("https://api.example.com", ["https://api.example.com"])
                   and c.get("sub") == f"arn:aws:iam::{account}:root", c)
            left = (wt["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
            expect(f"GetWebIdentityToken {alg} Expiration ~120s", 100 < left <= 125 and c.get("exp", 0) - c.get("iat", 0) == 120, (left, c))
    expect_error(sts, "GetWebIdentityToken", "ValidationError", 400, what="GetWebIdentityToken DurationSeconds 59", Audience=["a"], SigningAlgorithm="RS256", DurationSeconds=59)
    expect_error(sts, "GetWebIdentityToken", "ValidationError", 400, what="GetWebIdentityToken DurationSeconds 3601", Audience=["a"], SigningAlgorithm="RS256", DurationSeconds=3601)
    expect_error(sts, "GetWebIdentityToken", "ValidationError", 400, what="GetWebIdentityToken 11 audiences", Audience=[f"a{i}" for i in range(11)], SigningAlgorithm="RS256")
    expect_error(sts, "GetWebIdentityToken", "ValidationError", 400, what="GetWebIdentityToken no audience", SigningAlgorithm="RS256")
    expect_error(sts, "GetWebIdentityToken", "ValidationError", 400, what="GetWebIdentityToken bad algorithm", Audience=["a"], SigningAlgorithm="HS256")
    if not was_on:
        call(iam, "DisableOutboundWebIdentityFederation", "DisableOutboundWebIdentityFederation (restore)")

    # ---- STS: GetCallerIdentity with every credential type, error shapes
    k = iam.create_access_key(UserName=users[0])["AccessKey"]
    iam.put_user_policy(UserName=users[0], PolicyName="sts", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:*", "iam:Get*", "iam:List*"], "Resource": "*"}]}))
    iam.update_assume_role_policy(RoleName=roles[2], PolicyDocument=trust(account))
    time.sleep(0.5)
    usts = session_factory(k["AccessKeyId"], k["SecretAccessKey"], None).client("sts", endpoint_url=endpoint, region_name="us-east-1")
    uarn = f"{A}:user/{p}/{users[0]}"
    # without UserName, IAM takes the user from the signing access key
    uiam = session_factory(k["AccessKeyId"], k["SecretAccessKey"], None).client("iam", endpoint_url=endpoint, region_name="us-east-1")
    me = call(uiam, "GetUser", "GetUser without UserName (user)")
    if me:
        expect("GetUser without UserName is the caller", me["User"]["Arn"] == uarn, me["User"])
    lk = call(uiam, "ListAccessKeys", "ListAccessKeys without UserName (user)")
    if lk:
        expect("ListAccessKeys without UserName lists the caller's", [x["AccessKeyId"] for x in lk["AccessKeyMetadata"]] == [k["AccessKeyId"]]
               and lk["AccessKeyMetadata"][0].get("UserName") == users[0], lk["AccessKeyMetadata"])
    call(uiam, "ListMFADevices", "ListMFADevices without UserName (user)")
    call(uiam, "ListSSHPublicKeys", "ListSSHPublicKeys without UserName (user)")
    call(uiam, "ListSigningCertificates", "ListSigningCertificates without UserName (user)")
    expect_error(uiam, "GetLoginProfile", "NoSuchEntity", 404, f"Login Profile for User {users[0]} cannot be found.", what="GetLoginProfile without UserName (user)")
    st = call(usts, "GetSessionToken", "GetSessionToken(user) r2", DurationSeconds=900)
    if st:
        c = st["Credentials"]
        s2 = session_factory(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).client("sts", endpoint_url=endpoint, region_name="us-east-1")
        ci = call(s2, "GetCallerIdentity", "GetCallerIdentity(user session token)")
        if ci:
            expect("user session GetCallerIdentity is the user", ci["Arn"] == uarn and ci["UserId"].startswith("AIDA"), ci)
        ar = call(s2, "AssumeRole", "AssumeRole with session-token credentials", RoleArn=f"{A}:role/{p}/{roles[2]}", RoleSessionName="viaST")
        if ar:
            expect("AssumeRole via session token Arn", ar["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{roles[2]}/viaST", ar["AssumedRoleUser"])
        ai = call(sts, "GetAccessKeyInfo", "GetAccessKeyInfo(ASIA)", AccessKeyId=c["AccessKeyId"])
        if ai:
            expect("GetAccessKeyInfo(ASIA) Account", ai["Account"] == account, ai)
    ft = call(usts, "GetFederationToken", "GetFederationToken(user) r2", Name="fed-r2", DurationSeconds=900, Policy=ALLOW_S3)
    if ft:
        expect("GetFederationToken PackedPolicySize", isinstance(ft.get("PackedPolicySize"), int), ft.keys())
    expect_error(usts, "GetFederationToken", "ValidationError", 400, what="GetFederationToken bad name chars", Name="bad name")
    expect_error(usts, "GetFederationToken", "ValidationError", 400, what="GetFederationToken DurationSeconds 899", Name="fed", DurationSeconds=899)
    expect_error(usts, "AssumeRole", "ValidationError", 400, what="AssumeRole RoleArn too short", RoleArn="arn:aws:iam", RoleSessionName="s1")
    expect_error(usts, "AssumeRole", "ValidationError", 400,
                 "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
                 what="AssumeRole without RoleSessionName", RoleArn=f"{A}:role/{p}/{roles[2]}")
    expect_error(usts, "AssumeRole", "ValidationError", 400, what="AssumeRole DurationSeconds 43201", RoleArn=f"{A}:role/{p}/{roles[2]}",
                 RoleSessionName="s1", DurationSeconds=43201)
    expect_error(usts, "AssumeRole", "MalformedPolicyDocument", 400, what="AssumeRole malformed session policy", RoleArn=f"{A}:role/{p}/{roles[2]}",
                 RoleSessionName="s1", Policy="{")
    expect_error(usts, "AssumeRoleWithWebIdentity", "InvalidIdentityToken", 400, what="AssumeRoleWithWebIdentity garbage token",
                 RoleArn=f"{A}:role/{p}/{roles[2]}", RoleSessionName="s1", WebIdentityToken="a" * 10)
    expect_error(usts, "DecodeAuthorizationMessage", "InvalidAuthorizationMessageException", 400, what="DecodeAuthorizationMessage garbage",
                 EncodedMessage="garbage")
    iam.update_access_key(UserName=users[0], AccessKeyId=k["AccessKeyId"], Status="Inactive")
    time.sleep(0.3)
    expect_error(usts, "GetCallerIdentity", "InvalidClientTokenId", 403, "The security token included in the request is invalid.",
                 what="GetCallerIdentity with an inactive key")
    iam.delete_access_key(UserName=users[0], AccessKeyId=k["AccessKeyId"])
    iam.delete_user_policy(UserName=users[0], PolicyName="sts")
    # raw error documents: IAM and STS answer <ErrorResponse> with Type Sender
    for svc, body in (("sts", "Action=GetCallerIdentity&Version=2011-06-15"), ("iam", "Action=ListUsers&Version=2010-05-08")):
        req = urllib.request.Request(endpoint + "/", data=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            urllib.request.urlopen(req, timeout=10)
            fail(f"unsigned {svc} request", "succeeded")
        except urllib.error.HTTPError as e:
            doc = e.read().decode()
            expect(f"unsigned {svc} request 403 ErrorResponse Sender", e.code == 403 and doc.lstrip().startswith(("<ErrorResponse", "<?xml")) and
                   "<ErrorResponse" in doc and "<Type>Sender</Type>" in doc and "<RequestId>" in doc, (e.code, doc[:300]))
            expect(f"unsigned {svc} request code", "<Code>MissingAuthenticationToken</Code>" in doc or "<Code>InvalidClientTokenId</Code>" in doc, doc[:300])

    # signed requests no SDK would send: unknown actions and versions
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as _Creds
    rc = sts._request_signer._credentials.get_frozen_credentials()
    for svc, body, code, msg in (
        ("iam", "Action=Bogus&Version=2010-05-08", "InvalidAction", "Could not find operation Bogus for version 2010-05-08"),
        ("sts", "Action=Bogus&Version=2011-06-15", "InvalidAction", "Could not find operation Bogus for version 2011-06-15"),
        ("iam", "Action=ListUsers&Version=2009-01-01", "InvalidAction", "Could not find operation ListUsers for version 2009-01-01"),
    ):
        ar_ = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(_Creds(rc.access_key, rc.secret_key, rc.token), svc, "us-east-1").add_auth(ar_)
        try:
            urllib.request.urlopen(urllib.request.Request(ar_.url, data=body.encode(), headers=dict(ar_.headers), method="POST"), timeout=10)
            fail(f"signed {svc} {body}", "succeeded")
        except urllib.error.HTTPError as e:
            doc = e.read().decode()
            expect(f"signed {svc} {body} -> {code}", e.code == 400 and f"<Code>{code}</Code>" in doc and f"<Message>{msg}</Message>" in doc
                   and "<Type>Sender</Type>" in doc, (e.code, doc[:300]))

    # ---- cleanup
    for x in extra[:7]:
        iam.detach_role_policy(RoleName=roles[0], PolicyArn=x)
        iam.detach_group_policy(GroupName=g, PolicyArn=x)
    for x in extra:
        iam.delete_policy(PolicyArn=x)
    for kind, ident in (("user", {"UserName": f"{p}-sz"}), ("group", {"GroupName": f"{p}-sz"}), ("role", {"RoleName": f"{p}-sz"})):
        getattr(iam, f"delete_{kind}_policy")(PolicyName="big", **ident)
        getattr(iam, f"delete_{kind}")(**ident)
    iam.delete_policy(PolicyArn=f"{A}:policy/{p}-6144")
    for i, x in enumerate(profiles):
        iam.remove_role_from_instance_profile(InstanceProfileName=x, RoleName=roles[0] if i == 0 else roles[i])
        iam.delete_instance_profile(InstanceProfileName=x)
    for a in pols:
        iam.detach_user_policy(UserName=users[0], PolicyArn=a)
        iam.detach_group_policy(GroupName=g, PolicyArn=a)
        iam.detach_role_policy(RoleName=roles[0], PolicyArn=a)
    for v_ in ("v2", "v3"):
        iam.delete_policy_version(PolicyArn=pols[0], VersionId=v_) if iam.get_policy(PolicyArn=pols[0])["Policy"]["DefaultVersionId"] != v_ else None
    for a in pols:
        for ver in iam.list_policy_versions(PolicyArn=a)["Versions"]:
            if not ver["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=a, VersionId=ver["VersionId"])
        iam.delete_policy(PolicyArn=a)
    for i in range(3):
        iam.delete_user_policy(UserName=users[0], PolicyName=f"in{i}")
        iam.delete_group_policy(GroupName=g, PolicyName=f"in{i}")
        iam.delete_role_policy(RoleName=roles[0], PolicyName=f"in{i}")
    for x in users:
        for gr in iam.list_groups_for_user(UserName=x)["Groups"]:
            iam.remove_user_from_group(GroupName=gr["GroupName"], UserName=x)
    for x in groups:
        iam.delete_group(GroupName=x)
    for x in roles:
        iam.delete_role(RoleName=x)
    for a in ak:
        iam.delete_access_key(UserName=users[1], AccessKeyId=a)
    for s_ in sshs:
        iam.delete_ssh_public_key(UserName=users[1], SSHPublicKeyId=s_)
    for c_ in certs:
        iam.delete_signing_certificate(UserName=users[2], CertificateId=c_)
    for o in (sc2, sc3):
        if o:
            iam.delete_service_specific_credential(UserName=users[2], ServiceSpecificCredentialId=o["ServiceSpecificCredential"]["ServiceSpecificCredentialId"])
    iam.delete_login_profile(UserName=users[2])
    for x in users:
        call(iam, "DeleteUser", f"DeleteUser r2 {x[-2:]}", UserName=x)
    iam.delete_virtual_mfa_device(SerialNumber=sn)
    # documented as idempotent: adding an existing client ID, removing a
    # missing one, deleting a provider that does not exist
    call(iam, "AddClientIDToOpenIDConnectProvider", "AddClientIDToOpenIDConnectProvider existing ID", OpenIDConnectProviderArn=oidc, ClientID="c")
    call(iam, "RemoveClientIDFromOpenIDConnectProvider", "RemoveClientIDFromOpenIDConnectProvider missing ID", OpenIDConnectProviderArn=oidc, ClientID="never")
    call(iam, "DeleteOpenIDConnectProvider", "DeleteOpenIDConnectProvider r2", OpenIDConnectProviderArn=oidc)
    call(iam, "DeleteOpenIDConnectProvider", "DeleteOpenIDConnectProvider again (idempotent)", OpenIDConnectProviderArn=oidc)
    iam.delete_saml_provider(SAMLProviderArn=saml)
    if sc:
        iam.delete_server_certificate(ServerCertificateName=f"{p}-sc")


def cli_checks_round2(endpoint, creds_file):
    """The aws CLI's own pagination (--max-items/--starting-token) over several listings."""
    env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=creds_file, AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_PAGER="")
    env.pop("AWS_ACCESS_KEY_ID", None)
    env.pop("AWS_SECRET_ACCESS_KEY", None)
    p = "cl" + rname(5)

    def aws(*args, want_rc=0, output="json"):
        r = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", output, *args], env=env, capture_output=True, text=True, timeout=60)
        if r.returncode != want_rc:
            fail("aws " + " ".join(args[:3]), f"rc {r.returncode}, want {want_rc}: {r.stderr.strip()[:300]}")
            return None
        return r

    def walk(what, key, *args):
        """Follows NextToken with --max-items 1; returns every item."""
        items, token, n = [], None, 0
        while n < 20:
            extra = ["--starting-token", token] if token else []
            r = aws(*args, "--max-items", "1", *extra)
            if not r:
                return None
            d = json.loads(r.stdout)
            items += d.get(key, [])
            n += 1
            token = d.get("NextToken")
            if not token:
                break
        expect(f"aws {what} --max-items 1 walks {n} pages", n == len(items), (n, len(items)))
        return items

    aws("iam", "create-group", "--group-name", p, "--path", f"/{p}/")
    for i in range(3):
        aws("iam", "create-user", "--user-name", f"{p}{i}", "--path", f"/{p}/")
        aws("iam", "add-user-to-group", "--group-name", p, "--user-name", f"{p}{i}")
        aws("iam", "create-role", "--role-name", f"{p}{i}", "--path", f"/{p}/", "--assume-role-policy-document",
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    aws("iam", "tag-user", "--user-name", f"{p}0", "--tags", "Key=a,Value=1", "Key=b,Value=2", "Key=c,Value=3")
    got = walk("list-roles", "Roles", "iam", "list-roles", "--path-prefix", f"/{p}/")
    expect("aws iam list-roles paged all", got is not None and sorted(x["RoleName"] for x in got) == [f"{p}{i}" for i in range(3)], got)
    got = walk("get-group", "Users", "iam", "get-group", "--group-name", p)
    expect("aws iam get-group paged all members", got is not None and sorted(x["UserName"] for x in got) == [f"{p}{i}" for i in range(3)], got)
    got = walk("list-user-tags", "Tags", "iam", "list-user-tags", "--user-name", f"{p}0")
    expect("aws iam list-user-tags paged all", got is not None and sorted(x["Key"] for x in got) == ["a", "b", "c"], got)
    got = walk("list-groups", "Groups", "iam", "list-groups", "--path-prefix", f"/{p}/")
    expect("aws iam list-groups paged", got is not None and [x["GroupName"] for x in got] == [p], got)
    # several result keys in one listing: the CLI splits pages across them
    keys = ("UserDetailList", "GroupDetailList", "RoleDetailList")
    full = aws("iam", "get-account-authorization-details", "--filter", "User", "Role", "Group")
    if full:
        want = sorted(x.get("UserName") or x.get("GroupName") or x.get("RoleName") for k in keys for x in json.loads(full.stdout).get(k, []))
        got, token, n = [], None, 0
        while n < 200:
            r = aws("iam", "get-account-authorization-details", "--filter", "User", "Role", "Group", "--max-items", "2",
                    *(["--starting-token", token] if token else []))
            if not r:
                break
            d = json.loads(r.stdout)
            got += [x.get("UserName") or x.get("GroupName") or x.get("RoleName") for k in keys for x in d.get(k, [])]
            n += 1
            token = d.get("NextToken")
            if not token:
                break
        expect("aws iam get-account-authorization-details --max-items 2 walks everything", sorted(got) == want, (len(got), len(want), n))
    r = aws("iam", "list-users", "--path-prefix", f"/{p}/", "--query", "Users[].UserName", output="text")
    expect("aws iam list-users --query --output text", r is not None and sorted(r.stdout.split()) == [f"{p}{i}" for i in range(3)], r and r.stdout)
    r2 = aws("sts", "get-caller-identity", "--query", "Account", output="text")
    expect("aws sts get-caller-identity --query Account", r2 is not None and len(r2.stdout.strip()) == 12, r2 and r2.stdout)
    r = aws("iam", "get-role", "--role-name", f"{p}-none", want_rc=255)
    expect("aws iam get-role NoSuchEntity text", r is not None and "(NoSuchEntity) when calling the GetRole operation: The role with name" in r.stderr, r and r.stderr)
    r = aws("iam", "create-user", "--user-name", f"{p}0", want_rc=255)
    expect("aws iam create-user EntityAlreadyExists text", r is not None and "(EntityAlreadyExists) when calling the CreateUser operation" in r.stderr, r and r.stderr)
    for i in range(3):
        aws("iam", "remove-user-from-group", "--group-name", p, "--user-name", f"{p}{i}")
        aws("iam", "delete-user", "--user-name", f"{p}{i}")
        aws("iam", "delete-role", "--role-name", f"{p}{i}")
    aws("iam", "delete-group", "--group-name", p)


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", default="http://127.0.0.1:19601")
    ap.add_argument("--credentials", default="/tmp/compat-data/root-credentials")
    ap.add_argument("--no-cli", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--only", choices=["round1", "round2"], help="run one round of checks")
    a = ap.parse_args()
    VERBOSE = a.verbose
    cp = configparser.ConfigParser()
    cp.read(a.credentials)
    key, secret = cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]
    cfg = Config(retries={"max_attempts": 1}, parameter_validation=False)

    class _S:
        def __init__(self, sess):
            self.s = sess

        def client(self, name, **kw):
            kw.setdefault("config", cfg)
            return self.s.client(name, **kw)

    def session_factory(k, s, t):
        return _S(boto3.session.Session(aws_access_key_id=k, aws_secret_access_key=s, aws_session_token=t, region_name="us-east-1"))

    root = session_factory(key, secret, None)
    iam = root.client("iam", endpoint_url=a.endpoint, config=cfg)
    sts = root.client("sts", endpoint_url=a.endpoint, config=cfg)
    start = time.time()
    if a.only != "round2":
        sweep(iam, sts, a.endpoint, (key, secret), session_factory)
        sweep_more(iam, sts, a.endpoint, session_factory)
        sweep_pages_sts(iam, sts, a.endpoint, session_factory)
        sweep_other(iam, sts)
        if not a.no_cli:
            cli_checks(a.endpoint, a.credentials)
    if a.only != "round1":
        sweep_round2(iam, sts, a.endpoint, session_factory)
        if not a.no_cli:
            cli_checks_round2(a.endpoint, a.credentials)
    print(f"{PASSES} passed, {len(FAILS)} failed ({time.time() - start:.1f}s)")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
