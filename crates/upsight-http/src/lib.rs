//! Shared HTTP hardening (in progress).
