//! Exposition tests.
