//! Integration tests: the real `katscan` binary over real trees.
//!
//! One test binary (modules below) so the suite links once.

mod action;
mod action_download;
mod bad_input;
mod baseline;
mod build_output;
mod classify;
mod client_config;
mod client_exposure;
mod client_graph;
mod config;
mod cors_go_rust;
mod cors_infra;
mod cors_javascript;
mod cors_python_jvm;
mod cors_scope;
mod encoded;
mod fixtures;
mod formats;
mod history;
mod hook;
mod hostile_inputs;
mod hostile_output;
mod human;
mod keys;
mod public_env;
mod resources;
mod rules;
mod runner;
mod staged;
mod support;
mod suppressions;
mod walking;
mod workflows;
