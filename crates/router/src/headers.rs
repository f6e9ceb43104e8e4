//! HTTP headers of the service platform.

/// Correlates one call across every hop; created by the router if missing, always returned.
pub const CORRELATION_ID: &str = "x-skltp-correlation-id";
/// The system that called the router (set by the router towards producers; trusted from
/// callers only on the internal listener).
pub const SENDER_ID: &str = "x-vp-sender-id";
/// The consumer the call is made on behalf of (informational; set from the sender if absent).
pub const ORIGINAL_CONSUMER: &str = "x-rivta-original-serviceconsumer-hsaid";
/// The router instance that relayed the call.
pub const INSTANCE_ID: &str = "x-vp-instance-id";
/// Router instances a call has passed, comma separated: a repeat is a loop (VP014).
pub const ROUTING_HISTORY: &str = "x-rivta-routing-history";
