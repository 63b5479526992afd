// Package iam is iamd's domain: accounts, users, groups, access keys and the
// rules that govern them (naming, quotas, conflicts, who may do what), in the
// vocabulary of AWS IAM.
//
// The package sits at the centre of the dependency graph. It knows nothing of
// HTTP, XML or SQL: the protocol layer (httpapi, awsquery) calls a *Service
// with typed inputs, and the Service persists through the Store interface,
// which each storage backend (sqlite, later postgres) implements and which the
// storetest conformance suite checks. Business rules live here once, never in
// a storage adapter, so that every backend enforces them identically.
//
// Errors returned by Service methods are *Error values whose Code is an AWS
// error code (NoSuchEntity, EntityAlreadyExists, ...) and whose Message is
// safe to show to the client. Stores return the sentinel errors ErrNotFound
// and ErrExists (wrapped), which the Service turns into AWS errors.
//
// # Authorization context
//
// Every operation is authorized with the global condition keys of the
// request (fillContext) and the keys the Service Authorization Reference
// lists for its action: aws:RequestTag/<key> and aws:TagKeys for the tags a
// Create* or Tag* request carries (aws:TagKeys alone, the removed keys, for
// Untag*); aws:ResourceTag/<key> for an existing user, role, managed
// policy, instance profile, OIDC or SAML provider, server certificate or
// virtual MFA device, with iam:ResourceTag/<key> too for users and roles;
// iam:PermissionsBoundary (the requested boundary for CreateUser,
// CreateRole and Put{User,Role}PermissionsBoundary, the entity's current
// one for Put/Delete{User,Role}Policy, Attach/Detach{User,Role}Policy and
// Delete{User,Role}PermissionsBoundary); iam:PolicyARN for
// Attach/Detach{User,Group,Role}Policy; iam:AWSServiceName for
// CreateServiceLinkedRole; iam:PassedToService and
// iam:AssociatedResourceArn for iam:PassRole ([Service.AuthorizePassRole]).
// A missing resource is authorized without resource tags.
package iam
