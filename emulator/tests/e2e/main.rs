//! End-to-end tests: each test starts its own emulator on 127.0.0.1:0 in-process and drives it
//! over real HTTP with a plain client (reqwest). Callbacks are received by a small HTTP server
//! of the test's own; their signatures are checked with an independent HMAC computation.

mod callbacks;
mod common;
mod control;
mod cxone;
mod definitions;
mod faults;
mod genesys;
mod invoke;
mod listing;
mod oauth;
mod profiles;
mod tokens;
