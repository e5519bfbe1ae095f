//! `netid-verifier`: one verification service for many counters. It owns the network side of
//! verifying — HTTP API, counter authentication, the shared replay cache, fetching trust and
//! status lists — and leaves every check of a presentation up to the replay decision to
//! `netid_core::verify`. It must never accept a code whose replay identity it could not record
//! atomically, and never log personal data.
#![forbid(unsafe_code)]

pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod config_init;
pub mod desk;
pub mod metrics;
pub mod rate;
pub mod replay;
pub mod server;
pub mod sources;
