#include "store/Migrations.h"

namespace chatiere::manager {

namespace {

// Timestamps are RFC 3339 UTC text ("2026-11-24T14:51:15Z"), which sorts as it should.
constexpr std::string_view kV1 = R"SQL(
CREATE TABLE instance (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO instance (singleton, id, created_at)
    VALUES (1, lower(hex(randomblob(6))), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

CREATE TABLE plans (
    slug TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE plan_versions (
    slug TEXT NOT NULL REFERENCES plans(slug),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (slug, version)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    email_verified INTEGER NOT NULL DEFAULT 0,
    staff_role TEXT CHECK (staff_role IN ('admin', 'treasurer')),
    language TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    terms_version TEXT,
    terms_accepted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE associations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('association', 'individual', 'other')),
    rna TEXT,
    siren TEXT,
    address_line1 TEXT NOT NULL DEFAULT '',
    address_line2 TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT 'FR',
    email TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'closed', 'rejected')),
    rejection_reason TEXT,
    plan_slug TEXT REFERENCES plans(slug),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX associations_status ON associations(status);

CREATE TABLE memberships (
    association_id TEXT NOT NULL REFERENCES associations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('manager', 'member')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (association_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    client_address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE email_verifications (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_user_id TEXT,
    actor TEXT NOT NULL,
    client_address TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    association_id TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_association ON audit_log(association_id, id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    template TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
)SQL";

// Services as libvirt guests, and the durable provisioning jobs.
constexpr std::string_view kV2 = R"SQL(
CREATE TABLE hosts (
    id TEXT PRIMARY KEY,
    uri TEXT NOT NULL,
    maintenance INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
INSERT INTO hosts (id, uri, created_at) VALUES ('local', '', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

CREATE TABLE services (
    id TEXT PRIMARY KEY,
    association_id TEXT NOT NULL REFERENCES associations(id),
    host_id TEXT NOT NULL DEFAULT 'local' REFERENCES hosts(id),
    name TEXT NOT NULL,
    template TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('requested', 'provisioning', 'active', 'failed', 'deleting', 'deleted')),
    suspended_for TEXT NOT NULL DEFAULT '',
    vcpus INTEGER NOT NULL,
    memory_mib INTEGER NOT NULL,
    disk_gib INTEGER NOT NULL,
    host_port INTEGER,
    endpoint TEXT,
    public_hostname TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX services_name ON services(association_id, name) WHERE state != 'deleted';
CREATE UNIQUE INDEX services_port ON services(host_id, host_port) WHERE state != 'deleted' AND host_port IS NOT NULL;
CREATE INDEX services_association ON services(association_id);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT NOT NULL REFERENCES services(id),
    kind TEXT NOT NULL CHECK (kind IN ('create', 'apply', 'replace_content', 'delete')),
    step INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    next_attempt_at TEXT NOT NULL,
    step_started_at TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '',
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX jobs_due ON jobs(status, next_attempt_at);
CREATE INDEX jobs_service ON jobs(service_id, status);
)SQL";

// A job claimed by a daemon that then died must not wait for its lease to run out.
constexpr std::string_view kV3 = R"SQL(
ALTER TABLE jobs ADD COLUMN leased INTEGER NOT NULL DEFAULT 0;
)SQL";

// Resize jobs: SQLite cannot change a CHECK constraint, so the table is rebuilt.
constexpr std::string_view kV4 = R"SQL(
CREATE TABLE jobs_v4 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT NOT NULL REFERENCES services(id),
    kind TEXT NOT NULL CHECK (kind IN ('create', 'apply', 'replace_content', 'resize', 'delete')),
    step INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    next_attempt_at TEXT NOT NULL,
    step_started_at TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '',
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    leased INTEGER NOT NULL DEFAULT 0
);
INSERT INTO jobs_v4 (id, service_id, kind, step, attempts, status, next_attempt_at, step_started_at,
                     payload, last_error, created_at, finished_at, leased)
    SELECT id, service_id, kind, step, attempts, status, next_attempt_at, step_started_at,
           payload, last_error, created_at, finished_at, leased FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v4 RENAME TO jobs;
CREATE INDEX jobs_due ON jobs(status, next_attempt_at);
CREATE INDEX jobs_service ON jobs(service_id, status);
)SQL";

// Usage samples: one row per service per collection (raw, kept monitoring.raw_retention_days).
// cpu_time_ns is the guest's counter as read, cpu_ns what it used since the previous sample;
// stored_bytes the data volume's allocation.
constexpr std::string_view kV5 = R"SQL(
CREATE TABLE usage_samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT NOT NULL REFERENCES services(id),
    association_id TEXT NOT NULL REFERENCES associations(id),
    at TEXT NOT NULL,
    interval_seconds INTEGER NOT NULL,
    cpu_time_ns INTEGER,
    cpu_ns INTEGER NOT NULL DEFAULT 0,
    memory_kib INTEGER,
    stored_bytes INTEGER
);
CREATE INDEX usage_samples_service ON usage_samples(service_id, at);
CREATE INDEX usage_samples_association ON usage_samples(association_id, at);
CREATE INDEX usage_samples_at ON usage_samples(at);
)SQL";

// Monitoring: the latest reading of each service, hourly and daily roll-ups (per service and per
// association; days are calendar days of the installation's time zone), health and uptime,
// alerts, and the quota ladder's state and exceptions.
constexpr std::string_view kV6 = R"SQL(
CREATE TABLE usage_latest (
    service_id TEXT PRIMARY KEY REFERENCES services(id),
    association_id TEXT NOT NULL REFERENCES associations(id),
    at TEXT NOT NULL,
    cpu_time_ns INTEGER,
    memory_kib INTEGER,
    stored_bytes INTEGER
);
CREATE TABLE usage_hourly (
    service_id TEXT NOT NULL REFERENCES services(id),
    association_id TEXT NOT NULL REFERENCES associations(id),
    hour TEXT NOT NULL,
    samples INTEGER NOT NULL,
    cpu_ns INTEGER NOT NULL,
    measured_seconds INTEGER NOT NULL,
    memory_kib_avg INTEGER,
    memory_kib_max INTEGER,
    stored_bytes_avg INTEGER,
    stored_bytes_max INTEGER,
    PRIMARY KEY (service_id, hour)
);
CREATE INDEX usage_hourly_hour ON usage_hourly(hour);
CREATE TABLE usage_daily (
    service_id TEXT NOT NULL REFERENCES services(id),
    association_id TEXT NOT NULL REFERENCES associations(id),
    day TEXT NOT NULL,
    samples INTEGER NOT NULL,
    cpu_ns INTEGER NOT NULL,
    measured_seconds INTEGER NOT NULL,
    memory_kib_avg INTEGER,
    memory_kib_max INTEGER,
    stored_bytes_avg INTEGER,
    stored_bytes_max INTEGER,
    PRIMARY KEY (service_id, day)
);
CREATE TABLE association_usage_hourly (
    association_id TEXT NOT NULL REFERENCES associations(id),
    hour TEXT NOT NULL,
    samples INTEGER NOT NULL,
    cpu_ns INTEGER NOT NULL,
    memory_kib_avg INTEGER,
    memory_kib_max INTEGER,
    stored_bytes_avg INTEGER,
    stored_bytes_max INTEGER,
    PRIMARY KEY (association_id, hour)
);
CREATE TABLE association_usage_daily (
    association_id TEXT NOT NULL REFERENCES associations(id),
    day TEXT NOT NULL,
    samples INTEGER NOT NULL,
    cpu_ns INTEGER NOT NULL,
    memory_kib_avg INTEGER,
    memory_kib_max INTEGER,
    stored_bytes_avg INTEGER,
    stored_bytes_max INTEGER,
    PRIMARY KEY (association_id, day)
);
CREATE TABLE rollup_state (
    name TEXT PRIMARY KEY,
    through TEXT NOT NULL
);

ALTER TABLE services ADD COLUMN health TEXT NOT NULL DEFAULT 'unknown'
    CHECK (health IN ('unknown', 'ok', 'degraded'));
ALTER TABLE services ADD COLUMN health_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN health_checked_at TEXT;
ALTER TABLE services ADD COLUMN health_detail TEXT;
CREATE TABLE service_uptime_daily (
    service_id TEXT NOT NULL REFERENCES services(id),
    day TEXT NOT NULL,
    checks INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    PRIMARY KEY (service_id, day)
);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('health', 'quota', 'host')),
    severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    association_id TEXT REFERENCES associations(id),
    service_id TEXT REFERENCES services(id),
    message TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE UNIQUE INDEX alerts_open ON alerts(key) WHERE closed_at IS NULL;

CREATE TABLE quota_levels (
    association_id TEXT NOT NULL REFERENCES associations(id),
    metric TEXT NOT NULL,
    level TEXT NOT NULL,
    at_limit_since TEXT,
    enforced INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (association_id, metric)
);
CREATE TABLE quota_exceptions (
    id TEXT PRIMARY KEY,
    association_id TEXT NOT NULL REFERENCES associations(id),
    until TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX quota_exceptions_association ON quota_exceptions(association_id, until);
)SQL";

// Billing: subscriptions to a plan version, billable events (the idempotency key of a billing
// run), invoices and credit notes with their lines and gapless yearly numbers, payments and what
// they settle, dunning steps. Money is integer cents (EUR); dates are local calendar dates
// (YYYY-MM-DD), periods half-open ([start, end)).
constexpr std::string_view kV7 = R"SQL(
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    association_id TEXT NOT NULL REFERENCES associations(id),
    plan_slug TEXT NOT NULL,
    plan_version INTEGER NOT NULL,
    interval TEXT NOT NULL CHECK (interval IN ('month', 'year')),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    membership_cents INTEGER NOT NULL DEFAULT 0 CHECK (membership_cents >= 0),
    anchor_date TEXT NOT NULL,
    start_date TEXT NOT NULL,
    trial_end TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    billed_through TEXT NOT NULL,
    cancel_at TEXT,
    pending_change TEXT,
    ended_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (plan_slug, plan_version) REFERENCES plan_versions(slug, version)
);
CREATE UNIQUE INDEX subscriptions_live ON subscriptions(association_id) WHERE status = 'active';
CREATE INDEX subscriptions_due ON subscriptions(status, billed_through);

CREATE TABLE subscription_changes (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
    kind TEXT NOT NULL CHECK (kind IN ('upgrade', 'downgrade', 'cancel')),
    effective_date TEXT NOT NULL,
    from_plan TEXT NOT NULL,
    from_version INTEGER NOT NULL,
    from_price_cents INTEGER NOT NULL,
    to_plan TEXT,
    to_version INTEGER,
    to_price_cents INTEGER,
    to_interval TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX subscription_changes_subscription ON subscription_changes(subscription_id);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    association_id TEXT NOT NULL REFERENCES associations(id),
    subscription_id TEXT REFERENCES subscriptions(id),
    credited_invoice_id TEXT REFERENCES invoices(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'finalized', 'paid', 'cancelled')),
    number TEXT UNIQUE,
    number_year INTEGER,
    number_seq INTEGER,
    currency TEXT NOT NULL DEFAULT 'EUR',
    period_start TEXT,
    period_end TEXT,
    issue_date TEXT,
    due_date TEXT,
    total_cents INTEGER NOT NULL,
    vat_cents INTEGER NOT NULL DEFAULT 0,
    total_incl_cents INTEGER NOT NULL,
    buyer TEXT NOT NULL,
    seller TEXT NOT NULL,
    reason TEXT,
    finalize_on TEXT,
    created_at TEXT NOT NULL,
    finalized_at TEXT,
    paid_at TEXT,
    CHECK ((status = 'draft') = (number IS NULL))
);
CREATE UNIQUE INDEX invoices_sequence ON invoices(kind, number_year, number_seq) WHERE number IS NOT NULL;
CREATE INDEX invoices_association ON invoices(association_id, created_at);
CREATE INDEX invoices_open ON invoices(status, due_date);

CREATE TABLE invoice_lines (
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    description_fr TEXT NOT NULL,
    description_en TEXT NOT NULL,
    quantity_milli INTEGER NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    unit_price_cents INTEGER NOT NULL,
    vat_rate_bp INTEGER NOT NULL DEFAULT 0,
    amount_cents INTEGER NOT NULL,
    period_start TEXT,
    period_end TEXT,
    PRIMARY KEY (invoice_id, position)
);

-- The last number given, per kind (invoice: F, credit note: A) and year.
CREATE TABLE invoice_sequences (
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (kind, year)
);

-- One row per billable event: what makes a billing run idempotent. A run inserts the event and
-- its invoice in one transaction; the primary key refuses the same event twice.
CREATE TABLE billing_events (
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
    period_start TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('fee', 'proration', 'overage', 'final')),
    ref TEXT NOT NULL DEFAULT '',
    invoice_id TEXT REFERENCES invoices(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (subscription_id, period_start, kind, ref)
);

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    association_id TEXT NOT NULL REFERENCES associations(id),
    invoice_id TEXT REFERENCES invoices(id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    method TEXT NOT NULL CHECK (method IN ('transfer', 'cheque', 'cash', 'card', 'helloasso', 'credit')),
    reference TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX payments_association ON payments(association_id, date);

-- What settles an invoice: part of a payment, or of a credit note. An association's credit
-- balance is what its payments and credit notes brought minus what was allocated.
CREATE TABLE allocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    association_id TEXT NOT NULL REFERENCES associations(id),
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    payment_id TEXT REFERENCES payments(id),
    credit_note_id TEXT REFERENCES invoices(id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    created_at TEXT NOT NULL,
    CHECK ((payment_id IS NULL) != (credit_note_id IS NULL))
);
CREATE INDEX allocations_invoice ON allocations(invoice_id);
CREATE INDEX allocations_association ON allocations(association_id);

-- Each dunning step of an invoice, done once.
CREATE TABLE dunning_steps (
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    step TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (invoice_id, step)
);
)SQL";

}  // namespace

// v8: forgotten passwords.
constexpr std::string_view kV8 = R"SQL(
-- A reset link: its token's SHA-256, valid until expires_at and once (used_at).
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX password_resets_user ON password_resets(user_id, created_at);
)SQL";

// v9: invitations of people without an account yet.
constexpr std::string_view kV9 = R"SQL(
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    association_id TEXT NOT NULL REFERENCES associations(id),
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('manager', 'member')),
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT,
    revoked_at TEXT
);
CREATE INDEX invitations_association ON invitations(association_id, email_key);
)SQL";

// v10: content replacement and resize never lose a site. A service's current data volume is the one
// of its volume_generation (0: the first; else the replacement job that wrote it), so that a new
// volume is written beside the old one. A job that cannot finish records why while it undoes itself.
constexpr std::string_view kV10 = R"SQL(
ALTER TABLE services ADD COLUMN volume_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN rollback_reason TEXT;
)SQL";

// ---- v11 (issue 14, billing identity and one period) ----
// The association's billing identity beside its name and address: the legal name printed on
// invoices (the name when empty), its SIRET and the e-mail address printed on invoices (its
// e-mail when empty). The quota ladder's rungs are per usage period: the period a level was reached in.
constexpr std::string_view kV11 = R"SQL(
ALTER TABLE associations ADD COLUMN legal_name TEXT NOT NULL DEFAULT '';
ALTER TABLE associations ADD COLUMN siret TEXT;
ALTER TABLE associations ADD COLUMN billing_email TEXT NOT NULL DEFAULT '';
ALTER TABLE quota_levels ADD COLUMN period_start TEXT;
)SQL";
// ---- end of v11 ----

// ---- v12 (issue 14, a subscription is required): the grace period of an association whose
// services run without a subscription. `since` is the local date the grace began (NULL: at the next
// billing pass, on the daemon's clock); the services get the `no_subscription` reason
// billing.unsubscribed_grace_days later. The two mails (at the start, 3 days before the end) are
// each sent once. Existing installations: every association that has services but no active
// subscription starts its grace now (the first pass after the upgrade), never an immediate suspension.
constexpr std::string_view kV12 = R"SQL(
CREATE TABLE subscription_grace (
    association_id TEXT PRIMARY KEY REFERENCES associations(id),
    since TEXT,
    start_mailed INTEGER NOT NULL DEFAULT 0,
    reminder_mailed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
INSERT INTO subscription_grace (association_id, since, created_at)
    SELECT a.id, NULL, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM associations a
    WHERE EXISTS (SELECT 1 FROM services s WHERE s.association_id = a.id
                  AND s.state NOT IN ('deleting', 'deleted'))
      AND NOT EXISTS (SELECT 1 FROM subscriptions u WHERE u.association_id = a.id AND u.status = 'active');
)SQL";
// ---- end of v12

// ---- v13 (issue 16): a job's step is stored by name, not by number, so that steps can be added or
// reordered without breaking a job in flight (provisioning/src/JobSteps.cpp names them). The rows
// are converted with v12's numbering, frozen here; a number v12 ran as an undo (its `default:`)
// gets that undo's name; a step already named is kept (the migration can run again). SQLite cannot
// change a column's type: the table is rebuilt.
constexpr std::string_view kV13 = R"SQL(
CREATE TABLE jobs_v13 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT NOT NULL REFERENCES services(id),
    kind TEXT NOT NULL CHECK (kind IN ('create', 'apply', 'replace_content', 'resize', 'delete')),
    step TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    next_attempt_at TEXT NOT NULL,
    step_started_at TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '',
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    leased INTEGER NOT NULL DEFAULT 0,
    rollback_reason TEXT
);
INSERT INTO jobs_v13 (id, service_id, kind, step, attempts, status, next_attempt_at, step_started_at,
                      payload, last_error, created_at, finished_at, leased, rollback_reason)
    SELECT id, service_id, kind,
           CASE WHEN typeof(step) != 'integer' THEN step ELSE CASE kind
               WHEN 'create' THEN CASE
                   WHEN step <= 0 THEN 'ensure_pool' WHEN step = 1 THEN 'ensure_image'
                   WHEN step = 2 THEN 'ensure_volume' WHEN step = 3 THEN 'define'
                   WHEN step = 4 THEN 'start' ELSE 'become_active' END
               WHEN 'apply' THEN 'apply_state'
               WHEN 'replace_content' THEN CASE step
                   WHEN 0 THEN 'write_volume' WHEN 1 THEN 'switch_volume' WHEN 2 THEN 'wait_healthy'
                   WHEN 3 THEN 'commit_volume' WHEN 4 THEN 'delete_old_volumes'
                   WHEN 101 THEN 'undo_switch' ELSE 'undo_new_volume' END
               WHEN 'resize' THEN CASE step
                   WHEN 0 THEN 'stop_guest' WHEN 1 THEN 'grow_volume' WHEN 2 THEN 'define_and_start'
                   WHEN 3 THEN 'become_active' ELSE 'undo_resize' END
               ELSE 'remove' END END,
           attempts, status, next_attempt_at, step_started_at, payload, last_error, created_at,
           finished_at, leased, rollback_reason
    FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v13 RENAME TO jobs;
CREATE INDEX jobs_due ON jobs(status, next_attempt_at);
CREATE INDEX jobs_service ON jobs(service_id, status);
)SQL";
// ---- end of v13

// ---- v14 (issue 15, a second factor): TOTP (RFC 6238) on an account. totp_secret is the base32
// secret (NULL: none); totp_enabled_at is NULL while an enrolment waits for its first code;
// totp_last_step is the last time step whose code was accepted (a code is accepted once). Recovery
// codes are stored as their SHA-256 and used once. A login challenge is the second step of a login
// on the pages: the password was right, the code is still to come (its token's SHA-256, short-lived).
constexpr std::string_view kV14 = R"SQL(
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE login_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    client_address TEXT NOT NULL
);
CREATE INDEX login_challenges_user ON login_challenges(user_id);
)SQL";
// ---- end of v14

// ---- v15 (issue 17, Debian appliances): several ports per service, and the secrets Chatière makes
// for a service's guest. A service has one service_ports row per port its template declares
// (name, port in the guest, port of the host's 127.0.0.1), deleted with the service: a host port
// is unique among the live services of its host. services.host_port stays, a copy of the HTTP
// endpoint's host port that the health queries read. Existing services (all websites: the only
// template before v15, its one port `http` on 80) get their row from services.host_port.
// service_secrets: an editor's API key, say; deleted with the service, never shown. The migration
// can run again (a database whose version was rewound).
constexpr std::string_view kV15 = R"SQL(
CREATE TABLE IF NOT EXISTS service_ports (
    service_id TEXT NOT NULL REFERENCES services(id),
    host_id TEXT NOT NULL DEFAULT 'local' REFERENCES hosts(id),
    name TEXT NOT NULL,
    guest_port INTEGER NOT NULL CHECK (guest_port BETWEEN 1 AND 65535),
    host_port INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),
    created_at TEXT NOT NULL,
    PRIMARY KEY (service_id, name)
);
CREATE UNIQUE INDEX IF NOT EXISTS service_ports_host_port ON service_ports(host_id, host_port);
INSERT OR IGNORE INTO service_ports (service_id, host_id, name, guest_port, host_port, created_at)
    SELECT id, host_id, 'http', 80, host_port, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM services
    WHERE state != 'deleted' AND host_port IS NOT NULL;
CREATE TABLE IF NOT EXISTS service_secrets (
    service_id TEXT NOT NULL REFERENCES services(id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (service_id, name)
);
)SQL";
// ---- end of v15

// ---- v16 (issue 17, image updates): `rollout` jobs, which restart a service's guest on its
// template's current build (docs/images.md). SQLite cannot change a CHECK constraint: the table is
// rebuilt, its rows kept as they are.
constexpr std::string_view kV16 = R"SQL(
CREATE TABLE jobs_v16 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT NOT NULL REFERENCES services(id),
    kind TEXT NOT NULL CHECK (kind IN ('create', 'apply', 'replace_content', 'resize', 'delete', 'rollout')),
    step TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    next_attempt_at TEXT NOT NULL,
    step_started_at TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '',
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    leased INTEGER NOT NULL DEFAULT 0,
    rollback_reason TEXT
);
INSERT INTO jobs_v16 (id, service_id, kind, step, attempts, status, next_attempt_at, step_started_at,
                      payload, last_error, created_at, finished_at, leased, rollback_reason)
    SELECT id, service_id, kind, step, attempts, status, next_attempt_at, step_started_at, payload,
           last_error, created_at, finished_at, leased, rollback_reason
    FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v16 RENAME TO jobs;
CREATE INDEX jobs_due ON jobs(status, next_attempt_at);
CREATE INDEX jobs_service ON jobs(service_id, status);
)SQL";
// ---- end of v16

// ---- v17 (issue 18, public addresses; docs/public-addresses.md): each approved association's slug
// (made from its name by the daemon, never recomputed), each service's default public name
// (services.public_hostname, unused until now: <service>.<slug>.<public.domain>, stored when it is
// first given so that a change of public.domain never moves a live site) and its association's own
// domain instead (services.domain), both unique among live services; what the proxy last said of a
// service (proxy_error); the certificates the proxy serves, one row per name (a service's current
// name, or Chatière's own host when service_id is NULL); alerts of kinds `proxy` and `certificate`
// (SQLite cannot change a CHECK: the alerts table is rebuilt, its rows kept).
constexpr std::string_view kV17 = R"SQL(
ALTER TABLE associations ADD COLUMN slug TEXT;
CREATE UNIQUE INDEX associations_slug ON associations(slug) WHERE slug IS NOT NULL;
ALTER TABLE services ADD COLUMN domain TEXT;
ALTER TABLE services ADD COLUMN proxy_error TEXT;
CREATE UNIQUE INDEX services_public_hostname ON services(public_hostname)
    WHERE state != 'deleted' AND public_hostname IS NOT NULL;
CREATE UNIQUE INDEX services_domain ON services(domain) WHERE state != 'deleted' AND domain IS NOT NULL;
CREATE TABLE certificates (
    name TEXT PRIMARY KEY,
    service_id TEXT REFERENCES services(id),
    status TEXT NOT NULL CHECK (status IN ('self_signed', 'pending', 'issued', 'failed')),
    issuer TEXT,
    not_after TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX certificates_service ON certificates(service_id);
CREATE TABLE alerts_v17 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('health', 'quota', 'host', 'proxy', 'certificate')),
    severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    association_id TEXT REFERENCES associations(id),
    service_id TEXT REFERENCES services(id),
    message TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT
);
INSERT INTO alerts_v17 (id, key, kind, severity, association_id, service_id, message, opened_at, updated_at,
                        closed_at)
    SELECT id, key, kind, severity, association_id, service_id, message, opened_at, updated_at, closed_at
    FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_v17 RENAME TO alerts;
CREATE UNIQUE INDEX alerts_open ON alerts(key) WHERE closed_at IS NULL;
)SQL";
// ---- end of v17

// ---- v18 (issue 18, transfer): the bytes the proxy sent per service, read from its transfer log
// (monitoring/TransferLog, docs/public-addresses.md). transfer_samples holds what each reading
// added (rolled up into the usage_* figures' transfer_bytes like the usage samples, pruned like
// them); transfer_totals each service's running total (the /metrics counter); transfer_cursors
// where the reader stopped in each log, written in the same transaction as the bytes.
constexpr std::string_view kV18 = R"SQL(
CREATE TABLE transfer_samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT NOT NULL REFERENCES services(id),
    association_id TEXT NOT NULL REFERENCES associations(id),
    at TEXT NOT NULL,
    bytes INTEGER NOT NULL CHECK (bytes >= 0)
);
CREATE INDEX transfer_samples_at ON transfer_samples(at);
CREATE TABLE transfer_totals (
    service_id TEXT PRIMARY KEY REFERENCES services(id),
    association_id TEXT NOT NULL REFERENCES associations(id),
    bytes INTEGER NOT NULL CHECK (bytes >= 0),
    updated_at TEXT NOT NULL
);
CREATE TABLE transfer_cursors (
    log TEXT PRIMARY KEY,
    inode INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL CHECK (byte_offset >= 0),
    updated_at TEXT NOT NULL
);
ALTER TABLE usage_hourly ADD COLUMN transfer_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN transfer_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE association_usage_hourly ADD COLUMN transfer_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE association_usage_daily ADD COLUMN transfer_bytes INTEGER NOT NULL DEFAULT 0;
)SQL";
// ---- end of v18

// ---- v19 (issue 19, mail; docs/mail.md): a mail service's domain (services.mail_domain, a field of
// its own so that an association's website and its mail can both use son-asso.fr; unique among live
// services), its mailboxes (password as a Dovecot SHA512-CRYPT hash, never the password; a deleted
// one keeps its row, deleted_at set, while its mail is kept for the export grace period) and its
// aliases (destinations: addresses, comma-separated).
constexpr std::string_view kV19 = R"SQL(
ALTER TABLE services ADD COLUMN mail_domain TEXT;
CREATE UNIQUE INDEX services_mail_domain ON services(mail_domain)
    WHERE state != 'deleted' AND mail_domain IS NOT NULL;
CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT NOT NULL REFERENCES services(id),
    local_part TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    quota_mib INTEGER NOT NULL CHECK (quota_mib >= 1),
    used_bytes INTEGER,
    messages INTEGER,
    usage_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX mailboxes_live ON mailboxes(service_id, local_part) WHERE deleted_at IS NULL;
CREATE TABLE mail_aliases (
    service_id TEXT NOT NULL REFERENCES services(id),
    local_part TEXT NOT NULL,
    destinations TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (service_id, local_part)
);
)SQL";
// ---- end of v19

const std::vector<std::string_view>& migrations() {
    static const std::vector<std::string_view> all = {kV1,  kV2,  kV3,  kV4,  kV5,  kV6,  kV7,  kV8,  kV9,
                                                      kV10, kV11, kV12, kV13, kV14, kV15, kV16, kV17, kV18,
                                                      kV19};
    return all;
}

}  // namespace chatiere::manager
