//! HTTP responses for SOAP producers (feature `server`).

use crate::soap::{CONTENT_TYPE, Fault};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A SOAP response envelope: HTTP 200, `text/xml`.
pub struct Soap(pub String);

impl IntoResponse for Soap {
    fn into_response(self) -> Response {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, CONTENT_TYPE),
                (header::CACHE_CONTROL, "no-store"),
            ],
            self.0,
        )
            .into_response()
    }
}

/// A SOAP fault: HTTP 500, `text/xml`, as SOAP 1.1 over HTTP requires.
pub struct SoapFault(pub Fault);

impl IntoResponse for SoapFault {
    fn into_response(self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [
                (header::CONTENT_TYPE, CONTENT_TYPE),
                (header::CACHE_CONTROL, "no-store"),
            ],
            self.0.to_envelope(),
        )
            .into_response()
    }
}
