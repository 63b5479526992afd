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
package iam
