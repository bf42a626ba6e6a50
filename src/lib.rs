//! Invoke CXone data actions over REST.
//!
//! Floors, from the ground up (arrows only point down):
//! - [`core`]: the rules, with no clock, no network and no `wasm-bindgen`. It is handed `now` and
//!   HTTP responses and answers with the next request or a wait.
//! - [`driver`]: drives the core over any [`driver::Transport`] and [`driver::Runtime`].
//! - `transport::fetch` (feature `fetch`): a transport over the global `fetch`.
//! - `worker` (feature `worker`) and `js` (feature `js`): the two shells.

pub mod core;
pub mod driver;
pub mod transport;

#[cfg(any(feature = "worker", feature = "js"))]
mod allocator;

#[cfg(feature = "worker")]
pub mod worker;

#[cfg(feature = "js")]
pub mod js;

#[doc(hidden)]
pub mod bench_support;
