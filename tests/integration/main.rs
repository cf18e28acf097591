//! Integration tests: the real `katscan` binary over real trees.
//!
//! One test binary (modules below) so the suite links once.

mod bad_input;
mod cors_infra;
mod fixtures;
mod formats;
mod human;
mod rules;
mod support;
mod walking;
