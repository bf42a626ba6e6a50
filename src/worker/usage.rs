//! What one request (or one alarm) cost in platform operations: KV reads and writes and Durable
//! Object requests, counted where they are made and reported in its log line, so the benchmark
//! can print the figures per kind of invocation from real runs.

use std::cell::Cell;

use serde::Serialize;
use serde_json::{json, Value};

/// The counts as a log line shows them: `{kvReads, kvWrites, objectRequests}`.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageCounts {
    /// KV reads.
    pub kv_reads: u32,
    /// KV writes.
    pub kv_writes: u32,
    /// Durable Object requests.
    pub object_requests: u32,
}

/// The counts of one request.
#[derive(Debug, Default)]
pub struct Usage {
    kv_reads: Cell<u32>,
    kv_writes: Cell<u32>,
    object_requests: Cell<u32>,
}

impl Usage {
    /// One KV read (`get`).
    pub fn kv_read(&self) {
        self.kv_reads.set(self.kv_reads.get().saturating_add(1));
    }

    /// One KV write (`put` or `delete`; a retried put counts twice).
    pub fn kv_write(&self) {
        self.kv_writes.set(self.kv_writes.get().saturating_add(1));
    }

    /// One request to a Durable Object.
    pub fn object_request(&self) {
        self.object_requests.set(self.object_requests.get().saturating_add(1));
    }

    /// The counts so far.
    pub fn counts(&self) -> UsageCounts {
        UsageCounts { kv_reads: self.kv_reads.get(), kv_writes: self.kv_writes.get(), object_requests: self.object_requests.get() }
    }

    /// `{kvReads, kvWrites, objectRequests}` for a log line.
    pub fn fields(&self) -> Value {
        json!({ "kvReads": self.kv_reads.get(), "kvWrites": self.kv_writes.get(), "objectRequests": self.object_requests.get() })
    }
}
