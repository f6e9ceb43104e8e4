//! Serving the contracts, generic over [`Contract`].

use crate::records::{self, OwnedRow, RecordRow};
use crate::{SourceError, SourceSystem};
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use npo_pki::PeerIdentity;
use npo_riv::common::is_timestamp;
use npo_riv::contract::{Contract, HasMore, Response as ContractResponse};
use npo_riv::server::{Soap, SoapFault};
use npo_riv::{Element, Fault, Limits, ResultType, soap, xml};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// One contract as the source system serves it.
pub trait ContractService: Send + Sync {
    fn namespace(&self) -> &'static str;
    fn name(&self) -> &'static str;
    fn version(&self) -> &'static str;
    fn service_domain(&self) -> &'static str;
    fn categorization(&self) -> &'static str;
    /// The response body for a request body addressed to `logical_address`.
    fn answer<'a>(
        &'a self,
        source: &'a SourceSystem,
        logical_address: &'a str,
        body: &'a Element,
    ) -> BoxFuture<'a, Result<String, Fault>>;
    /// Creates or replaces a record given as JSON (the admin API).
    fn put_json<'a>(
        &'a self,
        source: &'a SourceSystem,
        document_id: &'a str,
        json: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SourceError>>;
}

/// Contract `C`, served from the record table.
pub struct Served<C>(PhantomData<fn() -> C>);

impl<C: Contract> Served<C> {
    pub fn new() -> Self {
        Served(PhantomData)
    }
}

impl<C: Contract> Default for Served<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Contract> ContractService for Served<C> {
    fn namespace(&self) -> &'static str {
        C::NAMESPACE
    }
    fn name(&self) -> &'static str {
        C::NAME
    }
    fn version(&self) -> &'static str {
        C::VERSION
    }
    fn service_domain(&self) -> &'static str {
        C::SERVICE_DOMAIN
    }
    fn categorization(&self) -> &'static str {
        C::CATEGORIZATION
    }

    fn answer<'a>(
        &'a self,
        source: &'a SourceSystem,
        logical_address: &'a str,
        body: &'a Element,
    ) -> BoxFuture<'a, Result<String, Fault>> {
        Box::pin(answer::<C>(source, logical_address, body))
    }

    fn put_json<'a>(
        &'a self,
        source: &'a SourceSystem,
        document_id: &'a str,
        json: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let item: C::Item = serde_json::from_slice(json).map_err(|e| {
                // serde_json quotes the offending value only for some errors; keep position only.
                SourceError::Invalid(format!(
                    "not a {} record (line {}, column {})",
                    C::NAME,
                    e.line(),
                    e.column()
                ))
            })?;
            if C::meta(&item).document_id != document_id {
                return Err(SourceError::Invalid(
                    "documentId differs from the address".into(),
                ));
            }
            source.put::<C>(&item).await
        })
    }
}

async fn answer<C: Contract>(
    source: &SourceSystem,
    logical_address: &str,
    body: &Element,
) -> Result<String, Fault> {
    let log_id = uuid::Uuid::new_v4().to_string();
    let req = C::parse_request(body).map_err(|e| Fault::client(format!("Invalid request: {e}")))?;
    let query = C::query(&req);
    // The contract's rule: a sourceSystemHSAId filter must name the addressed system.
    if query
        .source_system_id
        .as_deref()
        .is_some_and(|s| s != logical_address)
    {
        return Ok(C::write_response(&ContractResponse {
            items: Vec::new(),
            result: Some(ResultType::invalid_request(
                log_id,
                "sourceSystemHSAId does not match the LogicalAddress",
            )),
            has_more: Vec::new(),
        }));
    }
    let period = query
        .period
        .as_ref()
        .filter(|_| C::PERIOD_ON_FILTER_TIME)
        .map(|p| (p.start.as_str(), p.end.as_str()));
    let payloads = records::for_patient(
        &source.db,
        &source.cfg.hsa_id,
        C::NAMESPACE,
        &query.patient_id.id,
        period,
    )
    .await
    .map_err(|e| {
        tracing::error!(%log_id, error = %e, "source store unavailable");
        Fault::server(format!(
            "The source system could not read its records; log id {log_id}"
        ))
    })?;
    let mut items = Vec::with_capacity(payloads.len());
    for p in payloads {
        match serde_json::from_str::<C::Item>(&p) {
            Ok(item) if C::matches(&req, &item) => items.push(item),
            Ok(_) => {}
            Err(e) => {
                tracing::error!(%log_id, error = %e, "unreadable stored record");
                return Err(Fault::server(format!(
                    "The source system holds an unreadable record; log id {log_id}"
                )));
            }
        }
    }
    let Some(page_size) = C::PAGE_SIZE else {
        return Ok(C::write_response(&ContractResponse::new(
            items,
            Some(ResultType::ok(log_id)),
        )));
    };
    // Paging: newest first, then by documentId; the reference is the last key sent.
    items.sort_by(|a, b| {
        page_key::<C>(b)
            .0
            .cmp(page_key::<C>(a).0)
            .then_with(|| page_key::<C>(a).1.cmp(page_key::<C>(b).1))
    });
    if let Some(reference) = C::page_reference(&req) {
        let Some((time, id)) = decode_reference(reference) else {
            return Ok(C::write_response(&ContractResponse::new(
                Vec::new(),
                Some(ResultType::invalid_request(
                    log_id,
                    "hasMoreReference is not valid",
                )),
            )));
        };
        items.retain(|i| {
            let (t, d) = page_key::<C>(i);
            t < time.as_str() || (t == time && d > id.as_str())
        });
    }
    let mut has_more = Vec::new();
    if items.len() > page_size {
        items.truncate(page_size);
        if let Some(last) = items.last() {
            let (t, d) = page_key::<C>(last);
            has_more.push(HasMore {
                logical_address: logical_address.to_owned(),
                reference: encode_reference(t, d),
            });
        }
    }
    Ok(C::write_response(&ContractResponse {
        items,
        result: Some(ResultType::ok(log_id)),
        has_more,
    }))
}

fn page_key<C: Contract>(item: &C::Item) -> (&str, &str) {
    (C::filter_time(item), C::meta(item).document_id)
}

/// A paging reference: the last key sent, hex-encoded so that it is opaque and safe in XML.
fn encode_reference(time: &str, document_id: &str) -> String {
    hex::encode(format!("{time}\n{document_id}"))
}

fn decode_reference(reference: &str) -> Option<(String, String)> {
    let bytes = hex::decode(reference).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (time, id) = text.split_once('\n')?;
    is_timestamp(time).then(|| (time.to_owned(), id.to_owned()))
}

impl OwnedRow {
    /// The row of an item of contract `C`, checked like [`SourceSystem::put`] checks (except
    /// the message round trip).
    pub fn of<C: Contract>(item: &C::Item) -> Result<OwnedRow, SourceError> {
        let meta = C::meta(item);
        if meta.document_id.is_empty() || meta.patient_id.id.is_empty() {
            return Err(SourceError::Invalid(
                "documentId and patientId are required".into(),
            ));
        }
        if !is_timestamp(meta.registration_time) || !is_timestamp(C::filter_time(item)) {
            return Err(SourceError::Invalid("times must be YYYYMMDDhhmmss".into()));
        }
        Ok(OwnedRow {
            namespace: C::NAMESPACE,
            document_id: meta.document_id.to_owned(),
            patient_id: meta.patient_id.id.clone(),
            care_unit: meta.care_unit.map(str::to_owned),
            care_giver: meta.care_giver.map(str::to_owned),
            filter_time: C::filter_time(item).to_owned(),
            registration_time: meta.registration_time.to_owned(),
            payload: serde_json::to_string(item)
                .map_err(|e| SourceError::Invalid(e.to_string()))?,
        })
    }
}

impl SourceSystem {
    /// Creates or replaces a record and queues its engagement-index update, in one transaction.
    /// The record must belong to this source system and be writable as a valid message.
    pub async fn put<C: Contract>(&self, item: &C::Item) -> Result<(), SourceError> {
        let meta = C::meta(item);
        if meta.source_system != self.cfg.hsa_id {
            return Err(SourceError::Invalid(
                "sourceSystemHSAId is not this source system".into(),
            ));
        }
        if meta.document_id.is_empty() || meta.patient_id.id.is_empty() {
            return Err(SourceError::Invalid(
                "documentId and patientId are required".into(),
            ));
        }
        if !is_timestamp(meta.registration_time) || !is_timestamp(C::filter_time(item)) {
            return Err(SourceError::Invalid("times must be YYYYMMDDhhmmss".into()));
        }
        // What is stored must be servable: write it as a response and read it back.
        let written = C::write_response(&ContractResponse {
            items: vec![item.clone()],
            result: None,
            has_more: Vec::new(),
        });
        let el = xml::parse(written.as_bytes(), &Limits::default())
            .map_err(|e| SourceError::Invalid(e.to_string()))?;
        C::parse_response(&el).map_err(|e| SourceError::Invalid(e.to_string()))?;
        let payload =
            serde_json::to_string(item).map_err(|e| SourceError::Invalid(e.to_string()))?;
        let mut tx = self.db.pool.begin().await?;
        records::upsert(
            &mut tx,
            &self.cfg.hsa_id,
            &RecordRow {
                namespace: C::NAMESPACE,
                document_id: meta.document_id,
                patient_id: &meta.patient_id.id,
                care_unit: meta.care_unit,
                care_giver: meta.care_giver,
                filter_time: C::filter_time(item),
                registration_time: meta.registration_time,
                payload: &payload,
            },
        )
        .await?;
        records::queue_engagement(&mut tx, &self.cfg.hsa_id, C::NAMESPACE, &meta.patient_id.id)
            .await?;
        tx.commit().await?;
        self.dirty.notify_one();
        Ok(())
    }

    /// Writes many generated records (`npo seed`) in one transaction, with one engagement-index
    /// update per patient and contract. The records must belong to this source system; unlike
    /// [`SourceSystem::put`] they are not written out as messages first (the generator's own
    /// tests validate everything it makes against the schemas).
    pub async fn put_generated(&self, rows: &[OwnedRow]) -> Result<(), SourceError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.pool.begin().await?;
        records::upsert_many(&mut tx, &self.cfg.hsa_id, rows).await?;
        let mut queued = std::collections::BTreeSet::new();
        for r in rows {
            if queued.insert((r.namespace, r.patient_id.as_str())) {
                records::queue_engagement(&mut tx, &self.cfg.hsa_id, r.namespace, &r.patient_id)
                    .await?;
            }
        }
        tx.commit().await?;
        self.dirty.notify_one();
        Ok(())
    }

    /// Deletes a record of the contract with `namespace`; false if there was none.
    pub async fn delete(&self, namespace: &str, document_id: &str) -> Result<bool, SourceError> {
        let mut tx = self.db.pool.begin().await?;
        let Some(patient) =
            records::delete(&mut tx, &self.cfg.hsa_id, namespace, document_id).await?
        else {
            return Ok(false);
        };
        records::queue_engagement(&mut tx, &self.cfg.hsa_id, namespace, &patient).await?;
        tx.commit().await?;
        self.dirty.notify_one();
        Ok(true)
    }
}

/// `POST /`: one contract call.
pub async fn handle(
    State(source): State<Arc<SourceSystem>>,
    Extension(peer): Extension<PeerIdentity>,
    body: Bytes,
) -> Response {
    if !peer.is_one_of(&source.cfg.allowed_callers) {
        return SoapFault(Fault::client(
            "This source system is reached through the service platform only",
        ))
        .into_response();
    }
    let envelope = match soap::parse_envelope(&body, &Limits::default()) {
        Ok(e) => e,
        Err(e) => {
            return SoapFault(Fault::client(format!("Malformed request: {e}"))).into_response();
        }
    };
    let Some(logical_address) = envelope.logical_address() else {
        return SoapFault(Fault::client("LogicalAddress header is missing")).into_response();
    };
    if envelope.contract_namespace() == npo_riv::accesscontrol::NAMESPACE {
        return match npo_riv::accesscontrol::AssertCareEngagement::parse(&envelope.body) {
            Ok(q) => match source
                .assert_care_engagement(&q, &npo_riv::time::today())
                .await
            {
                Ok(a) => Soap(soap::envelope("", &a.write())).into_response(),
                Err(e) => {
                    let log_id = uuid::Uuid::new_v4();
                    tracing::error!(%log_id, error = %e, "care engagement lookup failed");
                    SoapFault(Fault::server(format!(
                        "The care engagements could not be read; log id {log_id}"
                    )))
                    .into_response()
                }
            },
            Err(e) => SoapFault(Fault::client(format!("Invalid request: {e}"))).into_response(),
        };
    }
    let Some(service) = source.services.get(envelope.contract_namespace()) else {
        return SoapFault(Fault::client(
            "This source system does not serve that contract",
        ))
        .into_response();
    };
    if source.cfg.answer_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(source.cfg.answer_delay_ms)).await;
    }
    match service
        .answer(&source, logical_address, &envelope.body)
        .await
    {
        Ok(body) => Soap(soap::envelope("", &body)).into_response(),
        Err(f) => SoapFault(f).into_response(),
    }
}
