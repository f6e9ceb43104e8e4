//! The shape every information contract shares. Adding a contract means adding a module that
//! implements [`Contract`]; the router never looks inside bodies, and the source system and
//! aggregating services are generic over this trait.

use crate::common::{ContractError, ItemMeta, Query, ResultType};
use crate::xml::Element;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// A response: the items, the optional logical result and, for contracts that page, where more
/// items wait (one entry per source system that has more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response<I> {
    pub items: Vec<I>,
    pub result: Option<ResultType>,
    pub has_more: Vec<HasMore>,
}

impl<I> Response<I> {
    pub fn new(items: Vec<I>, result: Option<ResultType>) -> Self {
        Response {
            items,
            result,
            has_more: Vec::new(),
        }
    }
}

/// `HasMoreType` of the paging contracts: the source system (`logicalAddress`) holds more items;
/// ask it again with `reference` as `hasMoreReference`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HasMore {
    pub logical_address: String,
    pub reference: String,
}

/// How an item is shown to people (clinicians, citizens): contract-independent and in Swedish.
/// Built from the typed item; never stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ItemView {
    /// Short heading, e.g. `Essentiell hypertoni (I10)`.
    pub title: String,
    /// The item's time as shown and sorted (`YYYYMMDD` or `YYYYMMDDhhmmss`).
    pub time: String,
    /// Label → value, in display order (labels in Swedish, e.g. `Dos`, `Referensintervall`).
    pub fields: Vec<(&'static str, String)>,
    /// Longer free text (a note, a report), if any.
    pub text: Option<String>,
    /// True for what the overview must call out: an abnormal result, a serious alert.
    pub attention: bool,
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

    /// The request; every request can be made from the shared filters.
    type Request: Clone + Debug + Send + Sync + From<Query> + 'static;
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
    /// How the item is shown (Swedish labels).
    fn view(item: &Self::Item) -> ItemView;

    /// Whether a source system answers a request with `item`: by default the shared filters,
    /// the period applied to [`Contract::filter_time`]. Contracts with more filters, or another
    /// period rule, override it.
    fn matches(req: &Self::Request, item: &Self::Item) -> bool {
        Self::query(req).matches(&Self::meta(item), Self::filter_time(item))
    }

    /// True when the request's period applies to [`Contract::filter_time`] alone, so a store
    /// may pre-select by it; false for contracts with another period rule (alerts: overlap).
    const PERIOD_ON_FILTER_TIME: bool = true;

    /// Whether the response has a `result` that can say `ERROR`. Contracts without one
    /// (GetCareContacts 2.0, GetLaboratoryOrderOutcome 4.0, GetMaternityMedicalHistory 2.0,
    /// GetObservations 1.1, GetRequestActivities 1.0 and 2.0) report a refused request with a
    /// SOAP fault instead.
    const HAS_RESULT: bool = true;

    /// Items per answer for contracts that page (GetCareDocumentation 3.0); `None` answers all.
    const PAGE_SIZE: Option<usize> = None;
    /// The request's `hasMoreReference`, for contracts that page.
    fn page_reference(_req: &Self::Request) -> Option<&str> {
        None
    }
    /// Sets the request's `hasMoreReference` (contracts that page).
    fn set_page_reference(_req: &mut Self::Request, _reference: &str) {}
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
