//! Shared helpers for the whole-system tests: starting real peers on loopback.
