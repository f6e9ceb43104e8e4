//! The shape every information contract shares. Adding a contract means adding a module that
//! implements [`Contract`]; the router never looks inside bodies, and the source system and
//! aggregating services are generic over this trait.

use crate::common::{ContractError, ItemMeta, Query, ResultType};
use crate::xml::Element;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// A response: the items and the optional logical result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response<I> {
    pub items: Vec<I>,
    pub result: Option<ResultType>,
}

/// One RIV-TA "Get" contract of an information type.
pub trait Contract: Send + Sync + 'static {
    /// Interaction name, e.g. `GetDiagnosis`.
    const NAME: &'static str;
    /// Contract version, e.g. `2.0`.
    const VERSION: &'static str;
    /// Responder namespace (the routing key), e.g.
    /// `urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2`.
    const NAMESPACE: &'static str;
    /// The engagement-index service domain, e.g. `riv:clinicalprocess:healthcond:description`.
    const SERVICE_DOMAIN: &'static str;
    /// The engagement-index categorization, e.g. `dia`.
    const CATEGORIZATION: &'static str;

    type Request: Clone + Debug + Send + Sync + 'static;
    type Item: Clone + Debug + PartialEq + Send + Sync + Serialize + DeserializeOwned + 'static;

    fn parse_request(body: &Element) -> Result<Self::Request, ContractError>;
    /// The request body element.
    fn write_request(req: &Self::Request) -> String;
    fn parse_response(body: &Element) -> Result<Response<Self::Item>, ContractError>;
    /// The response body element.
    fn write_response(resp: &Response<Self::Item>) -> String;

    /// The request's shared filters.
    fn query(req: &Self::Request) -> &Query;
    fn query_mut(req: &mut Self::Request) -> &mut Query;
    /// Contract-independent facts about an item.
    fn meta(item: &Self::Item) -> ItemMeta<'_>;
    /// The time the request's period filter applies to (`YYYYMMDDhhmmss`).
    fn filter_time(item: &Self::Item) -> &str;
}

/// Static description of a contract, for registries and the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContractInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub namespace: &'static str,
    pub service_domain: &'static str,
    pub categorization: &'static str,
}

impl ContractInfo {
    pub const fn of<C: Contract>() -> Self {
        ContractInfo {
            name: C::NAME,
            version: C::VERSION,
            namespace: C::NAMESPACE,
            service_domain: C::SERVICE_DOMAIN,
            categorization: C::CATEGORIZATION,
        }
    }
}
