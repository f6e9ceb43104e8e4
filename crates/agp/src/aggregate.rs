use crate::{Agp, CallContext};
use futures::future::{BoxFuture, join_all};
use npo_riv::common::Query;
use npo_riv::contract::{Contract, Response};
use npo_riv::ei::{FindContentRequest, FindContentResponse};
use npo_riv::headers::{CausingAgent, ProcessingStatus, ProcessingStatusRecord, SynchError};
use npo_riv::{Envelope, Fault, ResultType, soap};
use npo_router::{CallError, ORIGINAL_CONSUMER};
use std::collections::{BTreeSet, HashSet};
use std::marker::PhantomData;
use tokio::time::{Instant, timeout_at};

/// One aggregated contract.
pub trait AggregatingService: Send + Sync {
    fn namespace(&self) -> &'static str;
    /// The whole response envelope, or a fault for the consumer.
    fn aggregate<'a>(
        &'a self,
        agp: &'a Agp,
        request: &'a Envelope,
        ctx: &'a CallContext,
    ) -> BoxFuture<'a, Result<String, Fault>>;
}

/// The aggregating service of contract `C`.
pub struct Aggregator<C>(PhantomData<fn() -> C>);

impl<C: Contract> Aggregator<C> {
    pub fn new() -> Self {
        Aggregator(PhantomData)
    }
}

impl<C: Contract> Default for Aggregator<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Contract> AggregatingService for Aggregator<C> {
    fn namespace(&self) -> &'static str {
        C::NAMESPACE
    }

    fn aggregate<'a>(
        &'a self,
        agp: &'a Agp,
        request: &'a Envelope,
        ctx: &'a CallContext,
    ) -> BoxFuture<'a, Result<String, Fault>> {
        Box::pin(aggregate::<C>(agp, request, ctx))
    }
}

/// The status text of a failed source call. Fault texts are cut short: they come from other
/// systems and are passed on, not trusted.
fn synch_error(e: &CallError) -> SynchError {
    match e {
        CallError::Timeout => SynchError {
            causing_agent: CausingAgent::ServiceProducer,
            code: "TIMEOUT".into(),
            text: "The source system did not answer in time".into(),
        },
        CallError::Connect => SynchError {
            causing_agent: CausingAgent::VirtualizationPlatform,
            code: "CONNECTION".into(),
            text: "The service platform could not be reached".into(),
        },
        CallError::Fault(f) => {
            let vp = f.string.starts_with("VP")
                && f.string
                    .get(2..5)
                    .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
            SynchError {
                causing_agent: if vp {
                    CausingAgent::VirtualizationPlatform
                } else {
                    CausingAgent::ServiceProducer
                },
                code: if vp {
                    f.string[..5].to_owned()
                } else {
                    "SOAP_FAULT".into()
                },
                text: f.string.chars().take(300).collect(),
            }
        }
        CallError::Http(status) => SynchError {
            causing_agent: CausingAgent::VirtualizationPlatform,
            code: format!("HTTP_{status}"),
            text: e.to_string(),
        },
        CallError::Malformed(_) => SynchError {
            causing_agent: CausingAgent::ServiceProducer,
            code: "INVALID_RESPONSE".into(),
            text: "The source system's answer could not be read".into(),
        },
    }
}

async fn aggregate<C: Contract>(
    agp: &Agp,
    request: &Envelope,
    ctx: &CallContext,
) -> Result<String, Fault> {
    let deadline = Instant::now() + agp.deadline();
    let log_id = uuid::Uuid::new_v4().to_string();
    let req = C::parse_request(&request.body)
        .map_err(|e| Fault::client(format!("Invalid request: {e}")))?;
    let query: &Query = C::query(&req);
    let headers = [
        (ORIGINAL_CONSUMER, ctx.original_consumer.as_str()),
        (npo_router::CORRELATION_ID, ctx.correlation_id.as_str()),
    ];

    // 0. An id that cannot name a patient is an error, never "no records" (a false negative
    //    in a patient overview): the contract's own error result, or a fault where the
    //    contract has no result. The answer names the kind of problem, never the id.
    if let Err(problem) =
        npo_riv::ids::check_patient_id(&query.patient_id.id, &query.patient_id.type_)
    {
        tracing::info!(correlation = %ctx.correlation_id, problem = ?problem, "patient id refused");
        return if C::HAS_RESULT {
            let response = Response {
                items: Vec::new(),
                result: Some(ResultType::invalid_request(log_id, problem.to_string())),
                has_more: Vec::new(),
            };
            Ok(soap::envelope(
                &ProcessingStatus::default().write(),
                &C::write_response(&response),
            ))
        } else {
            Err(Fault::client(format!("{problem}; log id {log_id}")))
        };
    }

    // 1. Which sources hold something.
    let find = FindContentRequest {
        registered_resident_identification: query.patient_id.id.clone(),
        service_domain: C::SERVICE_DOMAIN.into(),
        categorization: Some(C::CATEGORIZATION.into()),
        source_system: query.source_system_id.clone(),
        ..FindContentRequest::default()
    };
    let env = timeout_at(deadline, agp.vp.call(&agp.cfg.ei_logical_address, &find.write(), &headers))
        .await
        .map_err(|_| CallError::Timeout)
        .and_then(|r| r)
        .map_err(|e| {
            tracing::warn!(correlation = %ctx.correlation_id, error = %e, "engagement index unavailable");
            Fault::server(format!("The engagement index could not be asked ({e}); log id {log_id}"))
        })?;
    let found = FindContentResponse::parse(&env.body).map_err(|_| {
        Fault::server(format!(
            "The engagement index gave an unreadable answer; log id {log_id}"
        ))
    })?;
    let mut sources: BTreeSet<String> = found
        .engagements
        .into_iter()
        .map(|e| e.logical_address)
        .collect();

    // 2. Only sources the original consumer may call.
    let today = npo_tak::today();
    let tak = agp.tak.snapshot();
    sources.retain(|la| {
        tak.as_ref()
            .is_some_and(|t| t.is_authorized(&ctx.original_consumer, la, C::NAMESPACE, &today))
    });

    // 3. Every source in parallel, each bounded by the deadline. Each answer is read into the
    //    contract's types (strict: an unreadable answer is the source's failure) for what the
    //    merge needs, and kept as it came: items are passed on unchanged.
    let body = C::write_request(&req);
    let calls = sources.iter().map(|la| {
        let body = &body;
        let headers = &headers;
        async move {
            let outcome =
                match timeout_at(deadline, agp.vp.call_with_source(la, body, headers)).await {
                    Err(_) => Err(CallError::Timeout),
                    Ok(Err(e)) => Err(e),
                    Ok(Ok((env, source))) => read_answer::<C>(env, source),
                };
            (la.as_str(), outcome)
        }
    });
    let answers = join_all(calls).await;

    // 4. Merge, report per source.
    let now = npo_riv::time::now_timestamp();
    let mut status = ProcessingStatus::default();
    let mut items = String::new();
    let mut seen = HashSet::new();
    let mut has_more = Vec::new();
    for (la, outcome) in answers {
        let answer = match outcome {
            Ok(a) => a,
            Err(e) => {
                tracing::info!(correlation = %ctx.correlation_id, source = la, error = %e, "source gave no data");
                status
                    .records
                    .push(ProcessingStatusRecord::failed(la, &now, synch_error(&e)));
                continue;
            }
        };
        if let Some(ResultType {
            result_code: npo_riv::common::ResultCode::Error,
            error_code,
            ..
        }) = answer.response.result
        {
            status.records.push(ProcessingStatusRecord::failed(
                la,
                &now,
                SynchError {
                    causing_agent: CausingAgent::ServiceProducer,
                    code: error_code.unwrap_or_else(|| "ERROR".into()),
                    text: "The source system answered with a logical error".into(),
                },
            ));
            continue;
        }
        // The items of the asked patient, once each, as the source wrote them.
        let mut kept = String::new();
        let mut keys = Vec::new();
        let mut unreadable = false;
        for (item, el) in answer.response.items.iter().zip(&answer.elements) {
            let meta = C::meta(item);
            // Never pass on another patient's record, nor the same record twice.
            if meta.patient_id.id != query.patient_id.id {
                tracing::warn!(correlation = %ctx.correlation_id, source = la, "source returned a record of another patient; dropped");
                continue;
            }
            let key = (meta.source_system.to_owned(), meta.document_id.to_owned());
            if seen.contains(&key) || keys.contains(&key) {
                continue;
            }
            match answer.envelope.body_fragment(&answer.source, el) {
                Ok(xml) => {
                    kept.push_str(&xml);
                    keys.push(key);
                }
                Err(_) => {
                    unreadable = true;
                    break;
                }
            }
        }
        if unreadable {
            let e = CallError::Malformed("item could not be cut out".into());
            status
                .records
                .push(ProcessingStatusRecord::failed(la, &now, synch_error(&e)));
            continue;
        }
        status.records.push(ProcessingStatusRecord::ok(la, &now));
        seen.extend(keys);
        items.push_str(&kept);
        // Where a source has more (contracts that page), the consumer asks it directly; a
        // source may only point at itself.
        has_more.extend(
            answer
                .response
                .has_more
                .into_iter()
                .filter(|m| m.logical_address == la),
        );
    }
    let response = Response {
        items: Vec::new(),
        result: Some(ResultType::ok(log_id)),
        has_more,
    };
    Ok(soap::envelope(
        &status.write(),
        &with_items(C::write_response(&response), &items),
    ))
}

/// One source's answer: typed (for the merge) and as it came (for passing items on).
struct Answer<I> {
    response: Response<I>,
    /// The item elements of the body, one per `response.items`, in order.
    elements: Vec<npo_riv::Element>,
    envelope: Envelope,
    source: bytes::Bytes,
}

fn read_answer<C: Contract>(
    mut envelope: Envelope,
    source: bytes::Bytes,
) -> Result<Answer<C::Item>, CallError> {
    let response =
        C::parse_response(&envelope.body).map_err(|e| CallError::Malformed(e.to_string()))?;
    // Items come first in every contract's response, as elements of the responder namespace;
    // `result` and `hasMore` follow, and extension elements are of other namespaces.
    let elements: Vec<npo_riv::Element> = std::mem::take(&mut envelope.body.children)
        .into_iter()
        .filter(|c| c.ns == C::NAMESPACE && c.name != "result" && c.name != "hasMore")
        .collect();
    if elements.len() != response.items.len() {
        return Err(CallError::Malformed(
            "the answer's items could not be told apart".into(),
        ));
    }
    Ok(Answer {
        response,
        elements,
        envelope,
        source,
    })
}

/// The response body `body` (written without items) with `items` (serialised) as its first
/// children: in every contract the items come first.
fn with_items(mut body: String, items: &str) -> String {
    if items.is_empty() {
        return body;
    }
    // The root's start tag is npo's own writing: its first `>` ends it (attribute values
    // are escaped).
    let at = body.find('>').map_or(body.len(), |i| i + 1);
    body.insert_str(at, items);
    body
}
