//! The replica's schema and its migrations.
//!
//! **Architecture Invariant:** migrations only ever append to [`MIGRATIONS`]; a released
//! migration is never edited. `PRAGMA user_version` records how many have run.

/// Each entry moves the schema one version forward.
pub const MIGRATIONS: &[&str] = &[
    // 1: store settings, the journal, the catalog and its search index, users, projections.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

    CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        node_id TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        body BLOB NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        signature BLOB NOT NULL
    ) STRICT;
    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;

    -- WITHOUT ROWID: a barcode scan is two b-tree searches (barcodes, then products),
    -- the same as a plain indexed table. `id` links a product to its search terms.
    CREATE TABLE products (
        sku TEXT PRIMARY KEY,
        id INTEGER NOT NULL UNIQUE,
        barcodes TEXT NOT NULL,
        name TEXT NOT NULL,
        name_zh TEXT NOT NULL,
        category TEXT NOT NULL,
        unit TEXT NOT NULL CHECK (unit IN ('each', 'kg')),
        price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
        tax_bp INTEGER NOT NULL CHECK (tax_bp BETWEEN 0 AND 10000),
        tags TEXT NOT NULL,
        parent_sku TEXT,
        specs TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE barcodes (
        code TEXT PRIMARY KEY,
        sku TEXT NOT NULL REFERENCES products(sku) ON DELETE CASCADE,
        pos INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX barcodes_sku ON barcodes(sku);
    CREATE VIRTUAL TABLE product_search USING fts5(terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3');

    CREATE TABLE users (
        user_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    ) STRICT;

    CREATE TABLE suspended (
        basket_id TEXT PRIMARY KEY,
        created_ms INTEGER NOT NULL,
        label TEXT NOT NULL,
        basket TEXT NOT NULL
    ) STRICT;

    -- Projections of the journal, updated in the same transaction as each append.
    CREATE TABLE sales (
        sale_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        total INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE refunds (
        refund_id TEXT PRIMARY KEY,
        sale_id TEXT NOT NULL,
        seq INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX refunds_sale ON refunds(sale_id);
    CREATE TABLE refunded_lines (
        sale_id TEXT NOT NULL,
        line_idx INTEGER NOT NULL,
        qty INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        PRIMARY KEY (sale_id, line_idx)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE stock (sku TEXT PRIMARY KEY, qty INTEGER NOT NULL) STRICT, WITHOUT ROWID;
    CREATE TABLE stored_value (account TEXT PRIMARY KEY, balance INTEGER NOT NULL) STRICT, WITHOUT ROWID;
    CREATE TABLE drawer (id INTEGER PRIMARY KEY CHECK (id = 1), expected INTEGER NOT NULL, open_shift TEXT, open_cashier TEXT) STRICT;
    INSERT INTO drawer (id, expected) VALUES (1, 0);
    "#,
    // 2: receipts waiting for a printer. A sale is recorded first; its receipt is queued
    // in the same breath and leaves the queue only when a printer took it.
    r#"
    CREATE TABLE print_queue (
        job_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
        ref_id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        printed_ms INTEGER
    ) STRICT;
    CREATE INDEX print_queue_pending ON print_queue(printed_ms, created_ms);
    "#,
    // 3: the edge agent's device state: registry and health, alerts, vends (holds and
    // their settlement), vending slots and telemetry, smart-shelf slots, revoked passes.
    DEVICES_MIGRATION,
    // 4: reorder levels: stock at or under its level raises a low-stock alert.
    r#"
    CREATE TABLE reorder_levels (sku TEXT PRIMARY KEY, level INTEGER NOT NULL CHECK (level >= 0)) STRICT, WITHOUT ROWID;
    "#,
    // 5: promotions, as the core's `promo::Promotion` in JSON (checked before they are
    // stored); a removed one stays as a tombstone so that labels notice the change.
    r#"
    CREATE TABLE promotions (
        promo_id TEXT PRIMARY KEY,
        body TEXT,
        changed_ms INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    "#,
    // 6: coupons (the core's `promo::Coupon` in JSON, checked before they are stored), and
    // how often each promotion and coupon was used, projected from the sales that used
    // them: in all (member '') and per member, with the pieces flash sales sold.
    r#"
    CREATE TABLE coupons (
        coupon_id TEXT PRIMARY KEY,
        body TEXT,
        changed_ms INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE offer_uses (
        offer_id TEXT NOT NULL,
        member TEXT NOT NULL,
        uses INTEGER NOT NULL,
        flash_pieces INTEGER NOT NULL,
        PRIMARY KEY (offer_id, member)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 7: members, projected from `member_registered` facts, with their lifetime spend
    // and points folded from sales, refunds and referrals; the member program's rules.
    r#"
    CREATE TABLE members (
        member_id TEXT PRIMARY KEY,
        phone TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        birthday TEXT,
        referral_code TEXT NOT NULL UNIQUE,
        referred_by TEXT,
        registered_ms INTEGER NOT NULL,
        spend INTEGER NOT NULL,
        points INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE member_program (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL) STRICT;
    "#,
    // 8: stock and purchasing: suppliers, stocktakes in progress and their counts (the
    // posting is a `stocktake_posted` fact), purchase orders and what was received
    // against each line (projected from `purchase_ordered` and `goods_received`).
    r#"
    CREATE TABLE suppliers (
        supplier_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        lead_time_days INTEGER NOT NULL CHECK (lead_time_days >= 0),
        phone TEXT
    ) STRICT;
    CREATE TABLE stocktakes (
        stocktake_id TEXT PRIMARY KEY,
        category TEXT,
        opened_ms INTEGER NOT NULL,
        posted_ms INTEGER
    ) STRICT;
    CREATE TABLE stocktake_counts (
        stocktake_id TEXT NOT NULL REFERENCES stocktakes(stocktake_id),
        sku TEXT NOT NULL,
        counted INTEGER NOT NULL,
        PRIMARY KEY (stocktake_id, sku)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE purchase_orders (
        po_id TEXT PRIMARY KEY,
        supplier_id TEXT NOT NULL,
        ordered_ms INTEGER NOT NULL,
        seq INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE po_lines (
        po_id TEXT NOT NULL,
        line_no INTEGER NOT NULL,
        sku TEXT NOT NULL,
        ordered INTEGER NOT NULL,
        received INTEGER NOT NULL,
        unit_cost INTEGER NOT NULL,
        PRIMARY KEY (po_id, line_no),
        UNIQUE (po_id, sku)
    ) STRICT;
    "#,
    // 9: staff commission rules (the core's `commission::CommissionRules` in JSON).
    r#"
    CREATE TABLE commission_rules (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL) STRICT;
    "#,
    // 10: the analytics projection (see `opentill_core::analytics`). A replica that already
    // holds sales is backfilled from its journal right after this runs (`replica::migrate`).
    ANALYTICS_MIGRATION,
    // 11: shared documents (automerge, see `crate::docs`): each document's last full save,
    // the incremental saves after it (folded into a new full save every so often), a
    // version that moves with every write (so a cached copy knows it is stale), and what
    // this node last agreed with each peer it syncs the document with.
    r#"
    CREATE TABLE documents (
        name TEXT PRIMARY KEY,
        snapshot BLOB NOT NULL,
        version INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE document_changes (id INTEGER PRIMARY KEY, name TEXT NOT NULL REFERENCES documents(name), bytes BLOB NOT NULL) STRICT;
    CREATE INDEX document_changes_name ON document_changes(name, id);
    CREATE TABLE document_peers (
        name TEXT NOT NULL,
        peer TEXT NOT NULL,
        state BLOB NOT NULL,
        synced_ms INTEGER NOT NULL,
        PRIMARY KEY (name, peer)
    ) STRICT;
    "#,
    // 12: the journals of the store's other nodes that this replica holds (see
    // `crate::relay`): the edge agent holds every till's and carries them to the cloud; a
    // till holds the others', handed down by the edge agent. Each node's enrolled key, how
    // far its journal is held (a gap-free prefix, like the cloud's) and how far the
    // upstream acknowledged it; the entries themselves, immutable like the journal.
    r#"
    CREATE TABLE peer_nodes (
        node_id TEXT PRIMARY KEY,
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        held_seq INTEGER NOT NULL DEFAULT 0,
        head_hash BLOB NOT NULL,
        upstream_seq INTEGER NOT NULL DEFAULT 0,
        added_ms INTEGER NOT NULL,
        heard_ms INTEGER
    ) STRICT;
    CREATE TABLE peer_journal (
        node_id TEXT NOT NULL REFERENCES peer_nodes(node_id),
        seq INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        body BLOB NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        signature BLOB NOT NULL,
        PRIMARY KEY (node_id, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE TRIGGER peer_journal_no_update BEFORE UPDATE ON peer_journal
        BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END;
    CREATE TRIGGER peer_journal_no_delete BEFORE DELETE ON peer_journal
        BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END;
    "#,
    // 13: stored value across stores (see `opentill_core::allowance`): the other stores'
    // total per account as of the last snapshot from the cloud (the snapshot itself, its
    // allowance and held seqs, is in `meta`), and this node's own debits by seq, to count
    // what the cloud had not confirmed.
    r#"
    CREATE TABLE sv_others (account TEXT PRIMARY KEY, others INTEGER NOT NULL) STRICT, WITHOUT ROWID;
    CREATE TABLE sv_debits (
        account TEXT NOT NULL,
        seq INTEGER NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        PRIMARY KEY (account, seq)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 14: price history: every change of a product's price in this store's catalog, from
    // whatever wrote it (a manager's edit, a central price merged from the cloud, a catalog
    // import), recorded by a trigger in the same transaction as the change itself.
    r#"
    CREATE TABLE price_history (
        id INTEGER PRIMARY KEY,
        sku TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        old_minor INTEGER NOT NULL,
        new_minor INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX price_history_sku ON price_history(sku, id);
    CREATE TRIGGER products_price_history AFTER UPDATE OF price_minor ON products
    WHEN old.price_minor <> new.price_minor
    BEGIN
        INSERT INTO price_history (sku, ts_ms, old_minor, new_minor) VALUES (new.sku, new.updated_ms, old.price_minor, new.price_minor);
    END;
    "#,
    // 15: a supervisor's approval of hand-made price changes on one sale in progress: the
    // sale carries the token, never the PIN (a sale waiting for the till service to come
    // back sits in the browser's storage).
    r#"
    CREATE TABLE approvals (
        token TEXT PRIMARY KEY,
        sale_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    "#,
    // 16: an alert's detail in Chinese beside the English one (alerts raised before keep
    // only the English).
    r#"
    ALTER TABLE alerts ADD COLUMN detail_zh TEXT NOT NULL DEFAULT '';
    CREATE INDEX alerts_open ON alerts(ts_ms) WHERE cleared_ms IS NULL;
    "#,
    // 17: stored-value top-ups by their idempotency key (projected from the facts that
    // carry one): a top-up sent again is recorded once.
    r#"
    CREATE TABLE topups (topup_id TEXT PRIMARY KEY, seq INTEGER NOT NULL) STRICT, WITHOUT ROWID;
    "#,
    // 18: who cleared an alert by hand (empty: the device itself, back in order).
    r#"
    ALTER TABLE alerts ADD COLUMN cleared_by TEXT NOT NULL DEFAULT '';
    "#,
    // 19: stock transfers between stores (see `opentill_core::transfer`). This store's steps
    // are its journals' `transfer` facts (found through the partial indexes); the other
    // store's steps come from the cloud into `remote_transfers`. `transfer_stores` is the
    // tenant's other stores as the cloud last named them.
    r#"
    CREATE INDEX journal_transfers ON journal(seq) WHERE kind = 'transfer';
    CREATE INDEX peer_journal_transfers ON peer_journal(node_id, seq) WHERE kind = 'transfer';
    CREATE TABLE remote_transfers (
        node_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        store_id TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        transfer_id TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (node_id, seq)
    ) STRICT;
    CREATE TABLE transfer_stores (store_id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '') STRICT, WITHOUT ROWID;
    "#,
    // 20: O2O orders (see `opentill_core::o2o`): the orders placed online for this store
    // and their online cancellation, as the cloud sent them (an order's body never
    // changes); the store's steps are its journals' `o2o` facts.
    r#"
    CREATE TABLE o2o_orders (
        order_id TEXT PRIMARY KEY,
        placed_ms INTEGER NOT NULL,
        body TEXT NOT NULL,
        cancel_reason TEXT,
        cancelled_ms INTEGER
    ) STRICT;
    CREATE INDEX journal_o2o ON journal(seq) WHERE kind = 'o2o';
    CREATE INDEX peer_journal_o2o ON peer_journal(node_id, seq) WHERE kind = 'o2o';
    "#,
    // 21: the members report's projection (see `opentill_core::analytics::ticket_row`): one
    // row per sale and refund with its local day, member, ±1 ticket and amount, so a year
    // is read from a covering index instead of a year of journal bodies. Backfilled from
    // the journal when a replica migrates past it.
    r#"
    CREATE TABLE member_tickets (
        seq INTEGER PRIMARY KEY,
        day INTEGER NOT NULL,
        member TEXT,
        tickets INTEGER NOT NULL CHECK (tickets IN (-1, 1)),
        amount INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX member_tickets_day ON member_tickets(day, member, tickets, amount);
    "#,
    // 22: stock per place in the store (see `opentill_core::fold::location_delta`): the
    // floor, the backroom, the warehouse. Folded, like `stock`, from this node's facts and
    // its peers'; backfilled from both when a replica migrates past it.
    r#"
    CREATE TABLE stock_locations (
        sku TEXT NOT NULL,
        location TEXT NOT NULL,
        qty INTEGER NOT NULL,
        PRIMARY KEY (sku, location)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 23: what this store does not run of the offers document (see `replica::offers`), and
    // why; rewritten with every projection of the document. Each offer's scope: `*` for
    // head office's, else this store's id (null: stored before the document).
    r#"
    ALTER TABLE promotions ADD COLUMN scope TEXT;
    ALTER TABLE coupons ADD COLUMN scope TEXT;
    CREATE TABLE offers_set_aside (
        section TEXT NOT NULL,
        offer_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        reason TEXT NOT NULL,
        reason_zh TEXT NOT NULL,
        PRIMARY KEY (section, offer_id, scope)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 24: purchase orders amended and cancelled (projected from `purchase_order_amended`
    // and `purchase_order_cancelled`; backfilled from the journal when a replica migrates
    // past it), and a stocktake of one place (库位盘点).
    r#"
    ALTER TABLE purchase_orders ADD COLUMN amended_ms INTEGER;
    ALTER TABLE purchase_orders ADD COLUMN cancelled_ms INTEGER;
    ALTER TABLE purchase_orders ADD COLUMN cancel_reason TEXT;
    ALTER TABLE stocktakes ADD COLUMN location TEXT;
    "#,
    // 25: members shared by every node of the tenant (see `replica::members`). `members`
    // holds the profiles, projected from the members document and this node's
    // `member_registered` facts; the phone and the referral code are no longer unique
    // here, because two nodes that cannot see each other may register one phone: the
    // later registration is merged into the earlier (`merged_into`). `member_sums` folds
    // spend and points from every journal of the store held here, per member id, whether
    // the member's profile has arrived yet or not (backfilled from the peers' journals).
    // `in_doc` is 0 for a registration this node has not yet put into the document.
    r#"
    CREATE TABLE members_v25 (
        member_id TEXT PRIMARY KEY,
        phone TEXT NOT NULL,
        name TEXT NOT NULL,
        birthday TEXT,
        referral_code TEXT NOT NULL,
        referred_by TEXT,
        registered_ms INTEGER NOT NULL,
        store_id TEXT NOT NULL DEFAULT '',
        merged_into TEXT,
        in_doc INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    INSERT INTO members_v25 (member_id, phone, name, birthday, referral_code, referred_by, registered_ms)
        SELECT member_id, phone, name, birthday, referral_code, referred_by, registered_ms FROM members;
    CREATE TABLE member_sums (
        member_id TEXT PRIMARY KEY,
        spend INTEGER NOT NULL,
        points INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    INSERT INTO member_sums (member_id, spend, points) SELECT member_id, spend, points FROM members;
    DROP TABLE members;
    ALTER TABLE members_v25 RENAME TO members;
    CREATE INDEX members_by_phone ON members (phone);
    CREATE INDEX members_by_code ON members (referral_code);
    CREATE INDEX members_by_survivor ON members (merged_into) WHERE merged_into IS NOT NULL;
    CREATE INDEX members_to_share ON members (member_id) WHERE in_doc = 0;
    "#,
    // 26: members' points across stores: the other stores' spend and points per member
    // id as of the last balance snapshot (`member_others`, replaced with each), and this
    // node's own points spending by seq (`points_debits`, backfilled from the journal),
    // to bound what the cloud has not confirmed, as `sv_debits` does for stored value;
    // redemptions found by id (a redemption sent again is recorded once).
    r#"
    CREATE TABLE member_others (
        member_id TEXT PRIMARY KEY,
        spend INTEGER NOT NULL,
        points INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE points_debits (
        member_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        points INTEGER NOT NULL,
        PRIMARY KEY (member_id, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX journal_redemptions ON journal(seq) WHERE kind = 'points_redeemed';
    "#,
    // 27: this store's device registry, projected from the devices document (names,
    // where each stands, retired or not); its shelves' planogram is `shelf_slots`.
    r#"
    CREATE TABLE device_registry (
        device TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        name_zh TEXT NOT NULL,
        location TEXT NOT NULL,
        retired INTEGER NOT NULL
    ) STRICT;
    "#,
];

/// The schema version that keeps members' points across stores (this node's points
/// spending is backfilled from its journal when a replica migrates past it).
pub fn points_debits_version() -> usize {
    MIGRATIONS.iter().position(|m| m.contains("CREATE TABLE points_debits")).map_or(0, |idx| idx + 1)
}

/// SQL that takes a replica's tables back from the latest migration (27) to 24 (no device
/// registry; no points across stores; members' spend and points in `members` again), for
/// tests of a replica from before them; the caller sets `user_version`.
pub const UNDO_AFTER_24: &str = "
    DROP TABLE device_registry;
    DROP TABLE member_others; DROP TABLE points_debits; DROP INDEX journal_redemptions;
    CREATE TABLE members_v7 (member_id TEXT PRIMARY KEY, phone TEXT NOT NULL UNIQUE, name TEXT NOT NULL, birthday TEXT, referral_code TEXT NOT NULL UNIQUE,
        referred_by TEXT, registered_ms INTEGER NOT NULL, spend INTEGER NOT NULL, points INTEGER NOT NULL) STRICT;
    INSERT INTO members_v7 SELECT m.member_id, m.phone, m.name, m.birthday, m.referral_code, m.referred_by, m.registered_ms, coalesce(s.spend, 0), coalesce(s.points, 0)
        FROM members m LEFT JOIN member_sums s USING (member_id);
    DROP TABLE members; DROP TABLE member_sums; ALTER TABLE members_v7 RENAME TO members;";

/// The schema version that shares members across nodes (the peers' journals are folded
/// into `member_sums` when a replica migrates past it).
pub fn member_sums_version() -> usize {
    MIGRATIONS.iter().position(|m| m.contains("CREATE TABLE member_sums")).map_or(0, |idx| idx + 1)
}

/// The schema version that records purchase orders amended and cancelled (backfilled when
/// migrating past it). Found by content, like [`analytics_version`].
pub fn po_changes_version() -> usize {
    MIGRATIONS.iter().position(|m| m.contains("ADD COLUMN cancelled_ms")).map_or(0, |idx| idx + 1)
}

/// The schema version that creates stock per place (backfilled when migrating past it).
pub fn stock_locations_version() -> usize {
    MIGRATIONS.iter().position(|m| m.contains("CREATE TABLE stock_locations")).map_or(0, |idx| idx + 1)
}

/// The schema version that creates the members report's projection (backfilled from the
/// journal when a replica migrates past it). Found by content, like
/// [`analytics_version`].
pub fn member_tickets_version() -> usize {
    MIGRATIONS.iter().position(|m| m.contains("CREATE TABLE member_tickets")).map_or(0, |idx| idx + 1)
}

/// The schema version that creates the analytics projection: a replica migrating past it
/// is backfilled from its journal. Found by content, so the migration may be renumbered.
pub fn analytics_version() -> usize {
    MIGRATIONS.iter().position(|m| *m == ANALYTICS_MIGRATION).map_or(0, |idx| idx + 1)
}

/// Migration 10: one row per sold line and one negative row per refunded line, one row per
/// tender, keyed by journal entry and position; `day` (local days since 1970-01-01) and
/// `hour` are computed with the store's UTC offset when the fact is projected. Beside them,
/// `sale_groups` keeps their sums per local day and hour, category, cashier and tender kind,
/// updated in the same transaction, so a report over a year reads a few thousand rows.
/// Top and slow sellers read `sale_lines` through the SKU index, in SKU order.
const ANALYTICS_MIGRATION: &str = r#"
    CREATE TABLE sale_lines (
        seq INTEGER NOT NULL,
        pos INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        day INTEGER NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        sale_id TEXT NOT NULL,
        sku TEXT NOT NULL,
        category TEXT NOT NULL,
        cashier TEXT NOT NULL,
        qty INTEGER NOT NULL,
        items INTEGER NOT NULL,
        tickets INTEGER NOT NULL CHECK (tickets BETWEEN -1 AND 1),
        gross INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        PRIMARY KEY (seq, pos)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX sale_lines_sku ON sale_lines(sku, day, tickets, items, qty, amount, discount);
    CREATE TABLE sale_tenders (
        seq INTEGER NOT NULL,
        pos INTEGER NOT NULL,
        day INTEGER NOT NULL,
        hour INTEGER NOT NULL,
        kind TEXT NOT NULL,
        amount INTEGER NOT NULL,
        PRIMARY KEY (seq, pos)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE sale_groups (
        dim TEXT NOT NULL CHECK (dim IN ('hour', 'category', 'cashier', 'tender')),
        day INTEGER NOT NULL,
        key TEXT NOT NULL,
        n_sales INTEGER NOT NULL,
        n_refunds INTEGER NOT NULL,
        items INTEGER NOT NULL,
        qty INTEGER NOT NULL,
        sales INTEGER NOT NULL,
        refunds INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        PRIMARY KEY (dim, day, key)
    ) STRICT, WITHOUT ROWID;
"#;

/// Migration 3, the edge agent's device tables. Device state is not a fact: facts (vend
/// sales, gate passages) go to the journal; these tables say what the devices are doing.
const DEVICES_MIGRATION: &str = r#"
    CREATE TABLE devices (
        device TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        online INTEGER NOT NULL,
        since_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE alerts (
        alert_id TEXT PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        device TEXT NOT NULL,
        detail TEXT NOT NULL,
        cleared_ms INTEGER
    ) STRICT;
    CREATE INDEX alerts_recent ON alerts(ts_ms);
    CREATE TABLE vends (
        vend_id TEXT PRIMARY KEY,
        machine TEXT NOT NULL,
        session_id TEXT NOT NULL,
        slot TEXT NOT NULL,
        sku TEXT,
        price_minor INTEGER NOT NULL,
        credential_kind TEXT NOT NULL,
        account TEXT,
        state TEXT NOT NULL CHECK (state IN ('denied', 'held', 'charged', 'released')),
        reason TEXT,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        settled_ms INTEGER,
        UNIQUE (machine, session_id)
    ) STRICT;
    CREATE INDEX vends_open ON vends(state, expires_ms);
    CREATE INDEX vends_account ON vends(account, state);
    CREATE TABLE vend_slots (
        machine TEXT NOT NULL,
        slot TEXT NOT NULL,
        sku TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (machine, slot)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE vend_telemetry (
        machine TEXT PRIMARY KEY,
        temp_c REAL NOT NULL,
        door_open INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE shelf_slots (
        shelf TEXT NOT NULL,
        slot TEXT NOT NULL,
        sku TEXT NOT NULL,
        unit_grams INTEGER NOT NULL CHECK (unit_grams > 0),
        tolerance_grams INTEGER NOT NULL CHECK (tolerance_grams >= 0),
        par INTEGER NOT NULL CHECK (par >= 0),
        grams INTEGER,
        count INTEGER,
        ts_ms INTEGER,
        configured_ms INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (shelf, slot)
    ) STRICT, WITHOUT ROWID;
    -- Items that left a smart-shelf slot (weight readings going down), for shrink checks.
    CREATE TABLE shelf_picks (
        shelf TEXT NOT NULL,
        slot TEXT NOT NULL,
        sku TEXT NOT NULL,
        qty INTEGER NOT NULL CHECK (qty > 0),
        ts_ms INTEGER NOT NULL,
        alerted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (shelf, slot, ts_ms)
    ) STRICT;
    CREATE INDEX shelf_picks_time ON shelf_picks(ts_ms);
    CREATE INDEX sales_time ON sales(ts_ms);
    -- Projection of GatePassed facts: one row per gate scan, for idempotence and footfall.
    CREATE TABLE gate_passages (
        gate TEXT NOT NULL,
        scan_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        direction TEXT NOT NULL,
        opened INTEGER NOT NULL,
        PRIMARY KEY (gate, scan_id)
    ) STRICT;
    CREATE INDEX gate_passages_time ON gate_passages(ts_ms);
    CREATE TABLE revoked_passes (pass_id TEXT PRIMARY KEY, revoked_ms INTEGER NOT NULL) STRICT;
"#;
