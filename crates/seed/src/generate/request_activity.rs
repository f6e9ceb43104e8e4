//! Referral status (GetRequestActivities 1.0 and 2.0, one story for both): primary care (a
//! region vårdcentral or a private clinic) refers the patient to a specialist unit, in the same
//! region or at another care giver, for the patient's conditions (and a few referrals anyone may
//! get). Each referral moves through skickad → mottagen → bedömd/accepterad → tid bokad → utförd
//! → besvarad → svar mottaget, or is rejected (avvisad) or withdrawn (makulerad) on the way, and
//! stops at the reference day if it is not finished. Every status row is kept by the source
//! system of the unit that recorded it: the sender's rows at the sender's care giver, the
//! receiver's at the receiver's (one system when both are units of the same region).

use super::{Env, Sink};
use crate::codes::Row;
use crate::ctx::{Ctx, Place, Site, SiteKind};
use chrono::{Duration, NaiveDateTime};
use npo_riv::common::Cv;
use npo_riv::contracts::request_activities_v1::{self as v1, GetRequestActivitiesV1};
use npo_riv::contracts::request_activities_v2::{
    self as v2, AccessControlHeader, Author, GetRequestActivitiesV2, Header, Ii, Organization,
    Record, RequestActivityBody, RequestAuthor, RequestInfo,
};

crate::code_list!(pub fn referral_targets() = "referral_targets.tsv");
crate::code_list!(pub fn request_statuses() = "request_status.tsv");

/// Document-id label (the engagement-index categorization).
const LABEL: &str = "req-act";
/// HSA's code system for professions (befattning).
const BEFATTNING_OID: &str = "1.2.752.129.2.2.1.4";
/// Most referrals one patient gets.
const MAX_REFERRALS: usize = 8;
/// Days a new status row waits before the patient may see it (rådrumstid).
const DELAY_FOR_PATIENT: i64 = 14;

/// One side of a referral: the care unit that records, the (sub-)unit named in the referral,
/// and the person who acts.
struct Side<'a> {
    place: Place<'a>,
    org_id: String,
    org_name: String,
    person: (String, String),
}

struct Referral<'a> {
    id: String,
    receiver_id: String,
    target: &'static Row,
    medium: &'static str,
    sender: Side<'a>,
    receiver: Side<'a>,
    sent: NaiveDateTime,
    approved: bool,
}

pub fn emit<S: Sink>(env: &Env<'_>, sink: &mut S) -> Result<(), S::Error> {
    let mut ctx = env.ctx(LABEL);
    let age = ctx.age_on(ctx.today);
    let mut targets: Vec<&'static Row> = Vec::new();
    for t in referral_targets() {
        let min: u32 = t.col(4).parse().unwrap_or(0);
        let max: u32 = t.col(5).parse().unwrap_or(100);
        if !(min..=max).contains(&age) {
            continue;
        }
        let p = if t.col(0) == "-" {
            0.08
        } else if ctx.conditions.iter().any(|c| c.col(0) == t.col(0)) {
            0.5
        } else {
            continue;
        };
        if ctx.rng.chance(p) {
            targets.push(t);
            // A chronic condition may bring a second referral years later.
            if t.col(0) != "-" && ctx.rng.chance(0.15) {
                targets.push(t);
            }
        }
    }
    targets.truncate(MAX_REFERRALS);
    if targets.is_empty() {
        return Ok(());
    }
    let today_end = ctx.today.and_hms_opt(23, 59, 59).unwrap_or_default();
    let patient = env.patient.person_id();
    let mut rows_v1 = Vec::new();
    let mut rows_v2 = Vec::new();
    for target in targets {
        let Some(r) = referral(&mut ctx, target) else {
            continue;
        };
        for (status, time) in flow(&mut ctx, &r, today_end) {
            let receiver_side = status.col(4) == "R";
            let holder = if receiver_side {
                &r.receiver
            } else {
                &r.sender
            };
            let (author_hsa, author_name, role) = match status.col(0) {
                "received" | "booked" => {
                    let (h, n) = ctx.staff(holder.place);
                    (
                        h,
                        n,
                        Cv {
                            original_text: Some("Medicinsk sekreterare".into()),
                            ..Cv::default()
                        },
                    )
                }
                _ => (
                    holder.person.0.clone(),
                    holder.person.1.clone(),
                    Cv::coded("LK", BEFATTNING_OID, "Läkare"),
                ),
            };
            let knows_receiver = receiver_side || status.col(0) != "sent";
            rows_v1.push(
                v1::RequestActivity {
                    document_id: String::new(),
                    subject_of_care_id: v1::person_id(&patient.id),
                    sender_request_id: Some(r.id.clone()),
                    receiver_request_id: knows_receiver.then(|| r.receiver_id.clone()),
                    type_of_request: r.target.col(3).to_owned(),
                    request_medium: Some(r.medium.to_owned()),
                    issued_by_person_name: Some(r.sender.person.1.clone()),
                    issued_by_unit_id: Some(r.sender.org_id.clone()),
                    issued_by_unit_description: Some(r.sender.org_name.clone()),
                    receiving_person_name: (!matches!(status.col(0), "sent" | "received"))
                        .then(|| r.receiver.person.1.clone()),
                    receiving_unit_id: Some(r.receiver.org_id.clone()),
                    receiving_unit_description: Some(r.receiver.org_name.clone()),
                    care_unit: Some(holder.place.unit.hsa_id.clone()),
                    logical_system_id: holder.place.site.source_system.clone(),
                    status_code: status.col(1).to_owned(),
                    event_time: Ctx::ts(time),
                }
                .keyed(),
            );
            let recorded = (time + Duration::minutes(ctx.rng.range(1, 30))).min(today_end);
            let visible = time.date() + Duration::days(DELAY_FOR_PATIENT) <= ctx.today;
            let source = &holder.place.site.source_system;
            rows_v2.push(v2::RequestActivity {
                header: Header {
                    access_control: AccessControlHeader {
                        accountable_care_giver: Ii::hsa(&holder.place.site.care_giver_hsa_id),
                        accountable_care_unit: Some(Ii::hsa(&holder.place.unit.hsa_id)),
                        patient_id: patient.clone(),
                        care_process_id: None,
                        // The TKB's suggestion: when the referral was first sent.
                        block_comparison_time: Ctx::ts(r.sent),
                        approved_for_patient: r.approved && visible,
                    },
                    source_system_id: Ii::hsa(source),
                    record: Record {
                        id: Ii::new(source, &ctx.document_id()),
                        timestamp: Ctx::ts(recorded),
                    },
                    author: Some(Author {
                        id: Some(Ii::hsa(&author_hsa)),
                        name: Some(author_name),
                        timestamp: Ctx::ts(recorded),
                        by_role: Some(role),
                    }),
                },
                body: RequestActivityBody {
                    status_code: Cv::coded(status.col(2), v2::STATUS_OID, status.col(3)),
                    event_time: Ctx::ts(time),
                    request: RequestInfo {
                        id: r.id.clone(),
                        type_: Some(Cv::coded(
                            r.target.col(3),
                            v2::REQUEST_TYPE_OID,
                            type_display(r.target.col(3)),
                        )),
                        medium: Some(Cv::coded(
                            r.medium,
                            v2::MEDIUM_OID,
                            if r.medium == "4" {
                                "skriftligt papper"
                            } else {
                                "skriftligt elektroniskt"
                            },
                        )),
                        author: Some(RequestAuthor {
                            name: r.sender.person.1.clone(),
                            organization: org(&r.sender),
                        }),
                        receiving_organization: org(&r.receiver),
                    },
                },
            });
        }
    }
    if rows_v2.is_empty() {
        return Ok(());
    }
    sink.put::<GetRequestActivitiesV1>(rows_v1)?;
    sink.put::<GetRequestActivitiesV2>(rows_v2)
}

fn org(side: &Side<'_>) -> Organization {
    Organization {
        id: Some(Ii::hsa(&side.org_id)),
        name: side.org_name.clone(),
    }
}

/// KV Framställantyp display names (as the TKB writes them).
fn type_display(code: &str) -> &'static str {
    match code {
        "1" => "röntgenremiss",
        "2" => "labbremiss",
        "10" => "fysiologremiss",
        _ => "allmänremiss",
    }
}

fn status(key: &str) -> &'static Row {
    let rows = request_statuses();
    rows.iter().find(|r| r.col(0) == key).unwrap_or(&rows[0])
}

/// The referral's sender, receiver and sending time; `None` where the sites offer no unit.
fn referral<'a>(ctx: &mut Ctx<'a>, target: &'static Row) -> Option<Referral<'a>> {
    let sites: &'a [Site] = ctx.sites;
    // The sender: primary care of a region or a private clinic.
    let senders: Vec<&'a Site> = sites
        .iter()
        .filter(|s| matches!(s.kind, SiteKind::Region | SiteKind::Private) && !s.units.is_empty())
        .collect();
    if senders.is_empty() {
        return None;
    }
    let site = senders[ctx.rng.below(senders.len())];
    let primary: Vec<_> = site
        .units
        .iter()
        .filter(|u| u.name.to_lowercase().contains("vårdcentral"))
        .collect();
    let unit = if primary.is_empty() {
        &site.units[ctx.rng.below(site.units.len())]
    } else {
        primary[ctx.rng.below(primary.len())]
    };
    let place = Place { site, unit };
    let sender = Side {
        place,
        org_id: unit.hsa_id.clone(),
        org_name: unit.name.clone(),
        person: ctx.staff(place),
    };

    // The receiver: a region hospital, or (for "A" rows, now and then) a private clinic.
    let private_ok = target.col(6) == "A" && ctx.rng.chance(0.3);
    let receivers: Vec<&'a Site> = sites
        .iter()
        .filter(|s| {
            !s.units.is_empty()
                && (s.kind == SiteKind::Region || (private_ok && s.kind == SiteKind::Private))
        })
        .filter(|s| !private_ok || s.kind == SiteKind::Private)
        .collect();
    let receivers = if receivers.is_empty() {
        sites
            .iter()
            .filter(|s| s.kind == SiteKind::Region && !s.units.is_empty())
            .collect()
    } else {
        receivers
    };
    if receivers.is_empty() {
        return None;
    }
    let site = receivers[ctx.rng.below(receivers.len())];
    let hospital: Vec<_> = site
        .units
        .iter()
        .filter(|u| u.name.to_lowercase().contains("sjukhus"))
        .collect();
    let unit = if hospital.is_empty() {
        &site.units[ctx.rng.below(site.units.len())]
    } else {
        hospital[ctx.rng.below(hospital.len())]
    };
    let where_ = unit.name.rsplit(", ").next().unwrap_or(&unit.name);
    let suffix = target.col(2);
    let org_id = if unit.hsa_id.len() + suffix.len() <= 31 {
        format!("{}{suffix}", unit.hsa_id)
    } else {
        unit.hsa_id.clone()
    };
    let place = Place { site, unit };
    let receiver = Side {
        place,
        org_id,
        org_name: format!("{}, {where_}", target.col(1)),
        person: ctx.staff(place),
    };

    let day = ctx.recent_day(8);
    let sent = ctx.at(day);
    // Local ids of the sender's and the receiver's systems (unique: they carry the patient).
    let id = format!("REM-{}", ctx.document_id());
    let receiver_id = format!("MOT-{}", ctx.document_id());
    let sensitive = matches!(suffix, "PSY" | "BUP");
    Some(Referral {
        id,
        receiver_id,
        target,
        medium: if ctx.rng.chance(0.9) { "3" } else { "4" },
        sender,
        receiver,
        sent,
        approved: ctx.rng.chance(if sensitive { 0.5 } else { 0.95 }),
    })
}

/// The referral's status rows up to the reference day, in order.
fn flow(
    ctx: &mut Ctx<'_>,
    r: &Referral<'_>,
    today_end: NaiveDateTime,
) -> Vec<(&'static Row, NaiveDateTime)> {
    let mut t = r.sent;
    let mut rows = vec![(status("sent"), t)];
    rows.push((status("received"), later(ctx, &mut t, 0, 2)));
    let end = ctx.rng.unit();
    if end < 0.03 {
        rows.push((status("cancelled"), later(ctx, &mut t, 1, 20)));
    } else if end < 0.10 {
        rows.push((status("rejected"), later(ctx, &mut t, 1, 10)));
    } else {
        rows.push((status("accepted"), later(ctx, &mut t, 1, 14)));
        rows.push((status("booked"), later(ctx, &mut t, 0, 5)));
        rows.push((status("performed"), later(ctx, &mut t, 7, 90)));
        rows.push((status("answered"), later(ctx, &mut t, 0, 14)));
        t += Duration::minutes(ctx.rng.range(1, 60));
        rows.push((status("answer_received"), t));
    }
    rows.retain(|(_, time)| *time <= today_end);
    rows
}

/// The time of the next step, `min_days`–`max_days` after `t` (the same day: minutes or hours
/// later); moves `t` there.
fn later(ctx: &mut Ctx<'_>, t: &mut NaiveDateTime, min_days: i64, max_days: i64) -> NaiveDateTime {
    let days = ctx.rng.range(min_days, max_days);
    let next = if days == 0 {
        *t + Duration::minutes(ctx.rng.range(10, 240))
    } else {
        ctx.at(t.date() + Duration::days(days))
    };
    *t = next.max(*t + Duration::minutes(1));
    *t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{self, Collect};
    use crate::population;
    use npo_riv::Contract;
    use npo_riv::ids;
    use npo_riv::xml::{self, Limits};
    use npo_riv::{Response, xsd};
    use std::collections::{BTreeMap, BTreeSet, HashSet};

    fn flow_index(v2_code: &str) -> usize {
        ["1", "2", "3", "4", "5", "6", "7"]
            .iter()
            .position(|c| *c == v2_code)
            .unwrap_or(usize::MAX)
    }

    #[test]
    fn referrals_flow_in_order_over_care_givers() {
        let rows = check::generated::<GetRequestActivitiesV2>(300);
        assert!(rows.len() > 300, "{}", rows.len());
        let mut referrals: BTreeMap<(String, String), Vec<&v2::RequestActivity>> = BTreeMap::new();
        for r in &rows {
            referrals
                .entry((
                    r.header.access_control.patient_id.id.clone(),
                    r.body.request.id.clone(),
                ))
                .or_default()
                .push(r);
        }
        let known_types: BTreeSet<&str> = referral_targets().iter().map(|t| t.col(3)).collect();
        let (mut spanning, mut rejected, mut open, mut answered) = (0, 0, 0, 0);
        for list in referrals.values() {
            let mut list = list.clone();
            list.sort_by(|a, b| a.body.event_time.cmp(&b.body.event_time));
            let codes: Vec<&str> = list
                .iter()
                .map(|r| r.body.status_code.code.as_deref().unwrap_or(""))
                .collect();
            assert_eq!(codes[0], "1", "a referral starts by being sent: {codes:?}");
            // The main path only moves forward.
            let main: Vec<usize> = codes
                .iter()
                .map(|c| flow_index(c))
                .filter(|i| *i != usize::MAX)
                .collect();
            assert!(main.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
            match *codes.last().unwrap() {
                "8" => rejected += 1,
                "7" => answered += 1,
                "11" => {}
                _ => open += 1,
            }
            let sources: BTreeSet<&str> = list
                .iter()
                .map(|r| r.header.source_system_id.value())
                .collect();
            if sources.len() > 1 {
                spanning += 1;
            }
            for r in &list {
                let t = r.body.request.type_.as_ref().unwrap();
                assert!(known_types.contains(t.code.as_deref().unwrap()));
                // The block-comparison time is the sending time.
                assert_eq!(
                    r.header.access_control.block_comparison_time,
                    list[0].body.event_time
                );
                assert!(!GetRequestActivitiesV2::view(r).title.is_empty());
            }
        }
        assert!(referrals.len() > 60, "{}", referrals.len());
        assert!(answered > referrals.len() / 2, "{answered}");
        assert!(
            rejected > 0 && open > 0 && spanning > 0,
            "{rejected} {open} {spanning}"
        );
        // Most rows may be shown to the patient, not all.
        let shown = rows
            .iter()
            .filter(|r| r.header.access_control.approved_for_patient)
            .count();
        assert!(shown * 10 > rows.len() * 7 && shown < rows.len(), "{shown}");
    }

    /// A copy of the official 1.0 schemas with the defective `^…$` facet corrected.
    fn corrected_schema() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("npo-seed-ra1-{}", std::process::id()));
        let official = xsd::schema_root().join("GetRequestActivities_1.0");
        let responder =
            "interactions/GetRequestActivitiesInteraction/GetRequestActivitiesResponder_1.0.xsd";
        for rel in ["core_components/crm_requeststatus_1.0.xsd", responder] {
            let text = std::fs::read_to_string(official.join(rel)).expect("official schema");
            let fixed = text.replace(
                v1::SUBJECT_OF_CARE_PATTERN_AS_PUBLISHED,
                v1::SUBJECT_OF_CARE_PATTERN,
            );
            let target = dir.join(rel);
            std::fs::create_dir_all(target.parent().expect("folder")).expect("temp folder");
            std::fs::write(target, fixed).expect("temp schema");
        }
        dir.join(responder)
    }

    /// Version 1.0 cannot use `check::generated` (its official schema rejects every patient id):
    /// the same checks against the corrected schema, and the same story as 2.0.
    #[test]
    fn version_one_tells_the_same_story() {
        let pop = population::example();
        let mut one = Collect::<GetRequestActivitiesV1>::default();
        let mut two = Collect::<GetRequestActivitiesV2>::default();
        let mut ids_seen = HashSet::new();
        let today_end = format!("{}235959", pop.today.format("%Y%m%d"));
        for i in 0..300 {
            let before = one.items.len();
            let Ok(patient) = pop.emit(i, &mut one);
            let Ok(_) = pop.emit(i, &mut two);
            for item in &one.items[before..] {
                let m = GetRequestActivitiesV1::meta(item);
                assert_eq!(m.patient_id.id, patient.id);
                assert!(ids::is_valid_personal_identity(&m.patient_id.id));
                assert_eq!(m.patient_id, &patient.person_id());
                assert!(pop.sites.iter().any(|s| s.source_system == m.source_system));
                assert!(
                    ids_seen.insert(m.document_id.to_owned()),
                    "{}",
                    m.document_id
                );
                assert!(npo_riv::common::is_timestamp(m.registration_time));
                assert!(m.registration_time <= today_end.as_str());
            }
        }
        assert_eq!(one.items.len(), two.items.len());
        let story_one: BTreeSet<(String, String, String)> = one
            .items
            .iter()
            .map(|r| {
                (
                    r.sender_request_id.clone().unwrap(),
                    v1::status_name(&r.status_code).unwrap().to_owned(),
                    r.event_time.clone(),
                )
            })
            .collect();
        let story_two: BTreeSet<(String, String, String)> = two
            .items
            .iter()
            .map(|r| {
                (
                    r.body.request.id.clone(),
                    r.body.status_code.display_name.clone().unwrap(),
                    r.body.event_time.clone(),
                )
            })
            .collect();
        assert_eq!(story_one, story_two);

        let schema = corrected_schema();
        for chunk in one.items.chunks(400) {
            let resp = Response::new(chunk.to_vec(), None);
            let written = GetRequestActivitiesV1::write_response(&resp);
            let el = xml::parse(written.as_bytes(), &Limits::default()).expect("parses");
            if let Err(e) = xsd::validate_element_against(&el, &schema) {
                panic!("generated 1.0 is invalid: {e}");
            }
            let back = GetRequestActivitiesV1::parse_response(&el).expect("reads back");
            assert!(back == resp, "generated 1.0 does not read back unchanged");
        }
        let _ = std::fs::remove_dir_all(schema.ancestors().nth(3).expect("temp folder"));
    }
}
