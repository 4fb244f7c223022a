//! The command line: argument definitions only. `main.rs` runs them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// OpenTill edge agent and store command line.
#[derive(Debug, Parser)]
#[command(name = "opentill-edge", version, about = "OpenTill: the store's edge agent and command line (门店边缘代理与命令行)")]
pub struct Cli {
    /// Language of messages and receipts: zh or en (default from OPENTILL_LANG or LANG).
    #[arg(long, global = true, env = "OPENTILL_LANG")]
    pub lang: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the store lives.
#[derive(Debug, Args)]
pub struct DataArg {
    /// The store's data directory.
    #[arg(long, env = "OPENTILL_DATA")]
    pub data: PathBuf,
}

/// Text or JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// What `report analytics` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyticsBy {
    /// Hour of the day.
    Hour,
    /// Day.
    Day,
    /// ISO week.
    Week,
    /// Product category.
    Category,
    /// Cashier.
    Cashier,
    /// Payment method.
    Tender,
    /// Best sellers by net amount.
    Top,
    /// Catalog products that sold least or nothing.
    Slow,
    /// Average basket value (客单价) and items per basket.
    Basket,
    /// Members' RFM segments (重要价值客户 … 流失), repeat rate, members' share of sales.
    Members,
    /// Gate entries against sales (footfall conversion) per hour and day.
    Conversion,
}

/// Journal export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A JSON array of entries.
    Json,
    /// CSV with the fact as a JSON column.
    Csv,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a store in a new data directory.
    Init(InitArgs),
    /// Store settings: show them, receipt paper, receipt logo.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Import products or users from CSV.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Look products up.
    #[command(subcommand)]
    Product(ProductCommand),
    /// Ring up and pay for a sale in one step; prints the receipt and the sale id.
    Sale(SaleArgs),
    /// Refund a sale, or some of its lines.
    Refund(RefundArgs),
    /// Shifts, cash and X/Z reports.
    #[command(subcommand)]
    Shift(ShiftCommand),
    /// Stock on hand and adjustments.
    #[command(subcommand)]
    Stock(StockCommand),
    /// Stored-value (prepaid) accounts.
    #[command(subcommand, name = "stored-value")]
    StoredValue(StoredValueCommand),
    /// Suspended sales.
    #[command(subcommand)]
    Suspended(SuspendedCommand),
    /// Find and decode the barcodes and QR codes in image files (PNG, JPEG).
    Decode {
        /// The images.
        #[arg(required = true)]
        images: Vec<std::path::PathBuf>,
    },
    /// Try serial devices: read a scale, listen to a scanner.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Receipt printing: the queue of unprinted receipts, reprints, printer status.
    #[command(subcommand)]
    Print(PrintCommand),
    /// Verify or export the journal.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Member passes: signed tokens that vending machines and gates check offline.
    #[command(subcommand)]
    Pass(PassCommand),
    /// Serve the local HTTP API and the devices' MQTT bridge.
    Serve(ServeArgs),
    /// Smart shelves: what each slot holds.
    #[command(subcommand)]
    Shelf(ShelfCommand),
    /// Promotions: add or replace one from a JSON file, list them, remove one.
    #[command(subcommand)]
    Promo(PromoCommand),
    /// Write a Mosquitto configuration, password file and per-device ACL for a real deployment.
    MqttConfig(MqttConfigArgs),
    /// Suppliers: add, list.
    #[command(subcommand)]
    Supplier(SupplierCommand),
    /// Purchase orders (采购): create, receive against, list.
    #[command(subcommand)]
    Po(PoCommand),
    /// Stocktakes (盘点): open, count, variance report, post.
    #[command(subcommand)]
    Stocktake(StocktakeCommand),
    /// Online orders (O2O, 线上订单) routed to this store: list, show (pick list), accept,
    /// reject, pick, ready, hand over (records the sale), cancel.
    #[command(subcommand)]
    O2o(O2oCommand),
    /// Stock transfers between stores (调拨): request, ship, receive, cancel, list.
    /// The other store sees each step after both have synced with the cloud.
    #[command(subcommand)]
    Transfer(TransferCommand),
    /// Members (会员): register by phone, show, list, the member program.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Coupons: add or replace one from a JSON file, list them with their uses, remove one.
    #[command(subcommand)]
    Coupon(CouponCommand),
    /// Run the device MQTT broker on its own (`serve --mqtt embedded:…` starts it this way,
    /// as a child process).
    Broker(BrokerArgs),
    /// Set up a demo store from the built-in fixtures, ring up sample sales and print the reports.
    Demo(DemoArgs),
    /// Print the OpenAPI document of the local HTTP API.
    Openapi,
    /// Replicate the journal to the cloud: enroll, push, status.
    #[command(subcommand)]
    Sync(crate::sync_cmd::SyncCommand),
    /// Ring up sales in a loop, printing each one that is durable (for crash tests).
    #[command(hide = true, name = "sale-loop")]
    SaleLoop(SaleLoopArgs),
}

/// `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Store id, e.g. SH001.
    #[arg(long)]
    pub store: String,
    /// This node's id (default: till-1).
    #[arg(long, default_value = "till-1")]
    pub node: String,
    /// Store name printed on receipts (English).
    #[arg(long)]
    pub name: Option<String>,
    /// Store name printed on receipts (Chinese).
    #[arg(long)]
    pub name_zh: Option<String>,
    /// Address printed on receipts.
    #[arg(long, default_value = "")]
    pub address: String,
    /// 抹零 cash rounding: none, jiao, yuan, jiao-half-up, yuan-half-up.
    #[arg(long, default_value = "none")]
    pub cash_rounding: String,
    /// Prices include tax (inclusive) or not (exclusive).
    #[arg(long, default_value = "inclusive")]
    pub tax_mode: String,
    /// Store time zone as a UTC offset, e.g. +08:00.
    #[arg(long, default_value = "+08:00", allow_hyphen_values = true)]
    pub utc_offset: String,
    /// Currency code and minor digits, e.g. CNY or EUR:2.
    #[arg(long, default_value = "CNY")]
    pub currency: String,
    /// Receipt paper width in millimetres: 58 or 80.
    #[arg(long, default_value_t = 58)]
    pub paper: u32,
}

/// `store`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Show the store's settings.
    Show {
        #[command(flatten)]
        data: DataArg,
    },
    /// Set the store's receipt header, for every till of the store (shared once they sync).
    Set {
        #[command(flatten)]
        data: DataArg,
        /// The store's name on receipts.
        #[arg(long)]
        name: Option<String>,
        /// Its Chinese name.
        #[arg(long)]
        name_zh: Option<String>,
        /// Its address.
        #[arg(long)]
        address: Option<String>,
    },
    /// Set the receipt paper width: 58 or 80 (mm), for every till of the store.
    Paper {
        #[command(flatten)]
        data: DataArg,
        /// 58 or 80.
        mm: u32,
    },
    /// Set the logo printed at the top of receipts (PNG or JPEG; black on white works best).
    Logo {
        #[command(flatten)]
        data: DataArg,
        /// The picture.
        file: PathBuf,
    },
}

/// `import`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Products: sku,barcode,name,name_zh,price,category,unit,tax_rate.
    Products {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArg,
        /// Import the good rows and report the bad ones, instead of importing nothing.
        #[arg(long)]
        skip_bad: bool,
    },
    /// Staff: user_id,name,role,pin.
    Users {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArg,
    },
}

/// `user`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add or update a user.
    Add {
        #[command(flatten)]
        data: DataArg,
        /// Login id.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// cashier, supervisor or manager.
        #[arg(long)]
        role: String,
        /// 4 to 8 digits.
        #[arg(long)]
        pin: String,
    },
    /// List users.
    List {
        #[command(flatten)]
        data: DataArg,
    },
}

/// `product`.
#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Add this store's products that the shared catalog lacks to it (a store seeding
    /// head office's catalog); `sync push` sends them to the cloud.
    Publish {
        #[command(flatten)]
        data: DataArg,
    },
    /// By barcode.
    Lookup {
        #[command(flatten)]
        data: DataArg,
        /// Barcode.
        code: String,
    },
    /// By English words, Chinese, pinyin or pinyin initials.
    Search {
        #[command(flatten)]
        data: DataArg,
        /// What to look for.
        query: String,
        /// Most results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
}

/// `sale`.
#[derive(Debug, Args)]
pub struct SaleArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// A barcode; repeat for more items.
    #[arg(long = "scan")]
    pub scans: Vec<String>,
    /// Quantity of the --scan before it: pieces, or kg for weighed products (0.532).
    #[arg(long = "qty", allow_hyphen_values = true)]
    pub qtys: Vec<String>,
    /// KIND:AMOUNT[:REFERENCE], KIND cash, card, mobile, stored or points (REFERENCE the member); repeat to split.
    #[arg(long = "tender")]
    pub tenders: Vec<String>,
    /// Line discount LINE:10% or LINE:2.00 (line numbers as on the receipt); needs --auth.
    #[arg(long = "discount")]
    pub discounts: Vec<String>,
    /// Discount on the whole sale, 10% or 5.00; needs --auth.
    #[arg(long)]
    pub basket_discount: Option<String>,
    /// Manual price LINE:PRICE; needs --auth.
    #[arg(long = "price")]
    pub prices: Vec<String>,
    /// Supervisor authorising discounts and price changes.
    #[arg(long)]
    pub auth: Option<String>,
    /// The supervisor's PIN.
    #[arg(long, env = "OPENTILL_PIN")]
    pub pin: Option<String>,
    /// Keep the sale for later instead of taking payment; prints its id.
    #[arg(long, value_name = "LABEL", conflicts_with = "tenders")]
    pub suspend: Option<String>,
    /// Continue a suspended sale (more --scan optional).
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,
    /// Print the receipt: tcp:HOST[:PORT] or file:PATH. Unprinted receipts stay queued.
    #[arg(long, env = "OPENTILL_PRINTER")]
    pub print: Option<String>,
    /// Show items, the total and the change on this 2x20 customer display (serial port).
    #[arg(long, env = "OPENTILL_DISPLAY")]
    pub display: Option<std::path::PathBuf>,
    /// The customer display shows Chinese (GB18030).
    #[arg(long)]
    pub display_cjk: bool,
    /// Weigh products sold by weight that have no --qty on this Toledo 8217 scale.
    #[arg(long, env = "OPENTILL_SCALE")]
    pub scale: Option<std::path::PathBuf>,
    /// The member buying (member prices, per-member coupon limits).
    #[arg(long)]
    pub member: Option<String>,
    /// A coupon id the customer presents; repeat for more.
    #[arg(long = "coupon")]
    pub coupons: Vec<String>,
    /// The staff member who served the customer (导购), credited with the commission.
    #[arg(long)]
    pub served_by: Option<String>,
    /// Sale id (idempotency key); a new one by default.
    #[arg(long)]
    pub sale_id: Option<String>,
    /// Output.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// `refund`.
#[derive(Debug, Args)]
pub struct RefundArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// The original sale id.
    #[arg(long)]
    pub sale: String,
    /// A line number as printed (from 1); repeat for more; none refunds everything left.
    #[arg(long = "line")]
    pub lines: Vec<usize>,
    /// Quantity of the --line before it; default all that is left.
    #[arg(long = "qty", allow_hyphen_values = true)]
    pub qtys: Vec<String>,
    /// Do not put the goods back in stock (damaged).
    #[arg(long)]
    pub no_restock: bool,
    /// Print the refund slip: tcp:HOST[:PORT] or file:PATH.
    #[arg(long, env = "OPENTILL_PRINTER")]
    pub print: Option<String>,
    /// Output.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// A user authorising an action.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// User id.
    #[arg(long)]
    pub user: String,
    /// PIN.
    #[arg(long, env = "OPENTILL_PIN")]
    pub pin: String,
}

/// `shift`.
#[derive(Debug, Subcommand)]
pub enum ShiftCommand {
    /// Open a shift with a float.
    Open {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        auth: AuthArgs,
        /// Opening float in yuan.
        #[arg(long, name = "float")]
        float: String,
    },
    /// Put cash into the drawer.
    CashIn(CashArgs),
    /// Take cash out of the drawer.
    CashOut(CashArgs),
    /// Open the drawer with no sale.
    NoSale {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        auth: AuthArgs,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The receipt printer the drawer hangs on: tcp:HOST[:PORT] or file:PATH.
        #[arg(long, env = "OPENTILL_PRINTER")]
        print: Option<String>,
    },
    /// The open shift and the cash the drawer should hold.
    Status {
        #[command(flatten)]
        data: DataArg,
    },
    /// Print and journal an X report (the shift stays open).
    XReport {
        #[command(flatten)]
        data: DataArg,
        /// Output.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Close the shift with counted cash; prints and journals the Z report.
    Close {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        auth: AuthArgs,
        /// Counted cash in yuan.
        #[arg(long)]
        counted: String,
        /// Output.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

/// `shift cash-in` and `shift cash-out`.
#[derive(Debug, Args)]
pub struct CashArgs {
    #[command(flatten)]
    pub data: DataArg,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Amount in yuan.
    #[arg(long)]
    pub amount: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
}

/// `stock`.
#[derive(Debug, Subcommand)]
pub enum StockCommand {
    /// Stock on hand (all SKUs that moved, or one).
    Show {
        #[command(flatten)]
        data: DataArg,
        /// One SKU.
        #[arg(long)]
        sku: Option<String>,
    },
    /// Receive or correct stock: pieces, or grams for weighed products.
    Adjust {
        #[command(flatten)]
        data: DataArg,
        /// SKU.
        #[arg(long)]
        sku: String,
        /// Change, e.g. 24 or -2.
        #[arg(long, allow_hyphen_values = true)]
        delta: i64,
        /// Why: receive, count, damage, ...
        #[arg(long)]
        reason: String,
        /// Where in the store: floor (the default), backroom or warehouse.
        #[arg(long)]
        location: Option<String>,
    },
    /// Move stock between places in the store (补货上架): floor, backroom, warehouse.
    Move {
        #[command(flatten)]
        data: DataArg,
        /// SKU.
        #[arg(long)]
        sku: String,
        /// From: floor, backroom or warehouse.
        #[arg(long)]
        from: String,
        /// To.
        #[arg(long)]
        to: String,
        /// Pieces, or grams for weighed products.
        #[arg(long)]
        qty: i64,
    },
    /// What to reorder now, from sales velocity, supplier lead time and safety stock.
    Suggest {
        #[command(flatten)]
        data: DataArg,
        /// Sales over this many days make the velocity.
        #[arg(long, default_value = "28")]
        days: i64,
        /// Safety stock, in days of sales.
        #[arg(long, default_value = "3")]
        safety_days: i64,
        /// Days until the next order.
        #[arg(long, default_value = "7")]
        review_days: i64,
    },
    /// Set the level at or under which a SKU raises a low-stock alert (`serve` checks every second).
    ReorderLevel {
        #[command(flatten)]
        data: DataArg,
        /// SKU.
        #[arg(long)]
        sku: String,
        /// Pieces, or grams for weighed products; `none` removes the level.
        #[arg(long)]
        level: String,
    },
}

/// `shelf`.
#[derive(Debug, Subcommand)]
pub enum ShelfCommand {
    /// Configure a slot of a smart shelf.
    Set {
        #[command(flatten)]
        data: DataArg,
        /// The shelf's device id.
        #[arg(long)]
        shelf: String,
        /// The slot on it.
        #[arg(long)]
        slot: String,
        /// The SKU it holds.
        #[arg(long)]
        sku: String,
        /// The weight of one item, in grams.
        #[arg(long)]
        unit_grams: i64,
        /// How far a reading may be from a whole number of items, in grams.
        #[arg(long, default_value_t = 10)]
        tolerance_grams: i64,
        /// Below this many items, a low-shelf alert.
        #[arg(long, default_value_t = 2)]
        par: i64,
    },
    /// Every configured slot with its last reading.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Take a slot out of the planogram (its label and readings are no longer kept).
    Clear {
        #[command(flatten)]
        data: DataArg,
        /// The shelf's device id.
        #[arg(long)]
        shelf: String,
        /// The slot on it.
        #[arg(long)]
        slot: String,
    },
}

/// `promo`.
#[derive(Debug, Subcommand)]
pub enum PromoCommand {
    /// Add or replace a promotion, checked against the catalog and the others (JSON: see docs/promotions.md).
    Put {
        #[command(flatten)]
        data: DataArg,
        /// The promotion as JSON.
        file: PathBuf,
    },
    /// Every promotion, and whether it runs now.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Remove a promotion.
    Remove {
        #[command(flatten)]
        data: DataArg,
        /// Its id.
        #[arg(long)]
        id: String,
    },
}

/// `coupon`.
#[derive(Debug, Subcommand)]
pub enum CouponCommand {
    /// Add or replace a coupon, checked on its own and against the promotions (JSON: see docs/promotions.md).
    Put {
        #[command(flatten)]
        data: DataArg,
        /// The coupon as JSON.
        file: PathBuf,
    },
    /// Every coupon and how often it was used.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Remove a coupon.
    Remove {
        #[command(flatten)]
        data: DataArg,
        /// Its id.
        #[arg(long)]
        id: String,
    },
}

/// `broker`.
#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// Where the broker listens.
    #[arg(long, default_value = "0.0.0.0:1883")]
    pub listen: std::net::SocketAddr,
    /// The agent that started it: the broker ends when that process does.
    #[arg(long, hide = true)]
    pub parent: Option<u32>,
}

/// `mqtt-config`.
#[derive(Debug, Args)]
pub struct MqttConfigArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Folder to write mosquitto.conf, passwd, acl and credentials.txt into.
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// A device as ID:KIND (vending, shelf, gate, scanner, display, label); repeat it.
    /// Devices already in the registry are included too.
    #[arg(long = "device")]
    pub devices: Vec<String>,
    /// Where the broker listens.
    #[arg(long, default_value = "0.0.0.0:1883")]
    pub listen: std::net::SocketAddr,
    /// The system user the broker runs as (default: the user running this command, who
    /// owns the private password file).
    #[arg(long)]
    pub broker_user: Option<String>,
    /// Replace an existing configuration (every device gets a new password).
    #[arg(long)]
    pub force: bool,
}

/// `pass`.
#[derive(Debug, Subcommand)]
pub enum PassCommand {
    /// Issue a pass for a member's stored-value account; prints the token (show it as a QR code).
    Issue {
        #[command(flatten)]
        data: DataArg,
        /// The member's stored-value account.
        #[arg(long)]
        account: String,
        /// Days it stays valid.
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// Revoke a pass by its id (the third field of the token).
    Revoke {
        #[command(flatten)]
        data: DataArg,
        /// The pass id.
        #[arg(long = "pass")]
        pass_id: String,
    },
}

/// `stored-value`.
#[derive(Debug, Subcommand)]
pub enum StoredValueCommand {
    /// Load money onto an account.
    TopUp {
        #[command(flatten)]
        data: DataArg,
        /// Account.
        #[arg(long)]
        account: String,
        /// Amount in yuan.
        #[arg(long)]
        amount: String,
        /// How it was paid: cash, card or mobile.
        #[arg(long, default_value = "cash")]
        tender: String,
    },
    /// An account's balance.
    Balance {
        #[command(flatten)]
        data: DataArg,
        /// Account.
        #[arg(long)]
        account: String,
    },
}

/// `supplier`.
#[derive(Debug, Subcommand)]
pub enum SupplierCommand {
    /// Add or replace a supplier.
    Add {
        #[command(flatten)]
        data: DataArg,
        /// Id.
        #[arg(long)]
        id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Days from order to delivery.
        #[arg(long)]
        lead_time_days: i64,
        /// Contact number.
        #[arg(long)]
        phone: Option<String>,
    },
    /// Every supplier.
    List {
        #[command(flatten)]
        data: DataArg,
    },
}

/// `po`.
#[derive(Debug, Subcommand)]
pub enum PoCommand {
    /// Place a purchase order.
    Create {
        #[command(flatten)]
        data: DataArg,
        /// The supplier.
        #[arg(long)]
        supplier: String,
        /// SKU:QTY:COST (cost per piece in yuan); repeat for more lines.
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
    },
    /// Receive goods against an order (or, without --po, goods that came without one).
    Receive {
        #[command(flatten)]
        data: DataArg,
        /// The order.
        #[arg(long)]
        po: Option<String>,
        /// SKU:QTY; repeat for more lines.
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
    },
    /// Amend an order: a new quantity (and cost) per SKU named; a SKU not on the order
    /// joins it, lines not named stay. Not below what was received.
    Amend {
        #[command(flatten)]
        data: DataArg,
        /// The order.
        #[arg(long)]
        po: String,
        /// SKU:QTY or SKU:QTY:COST (cost per piece in yuan; without it a line keeps its
        /// cost, a new SKU needs one); repeat for more lines.
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
    },
    /// Cancel an order: what is still outstanding will not come; what arrived stays.
    Cancel {
        #[command(flatten)]
        data: DataArg,
        /// The order.
        #[arg(long)]
        po: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Every order and where it stands.
    List {
        #[command(flatten)]
        data: DataArg,
    },
}

/// `o2o`.
#[derive(Debug, Subcommand)]
pub enum O2oCommand {
    /// Orders held for this store and where they stand, newest first.
    List {
        #[command(flatten)]
        data: DataArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One order with its pick list (by category, with stock on hand).
    Show {
        #[command(flatten)]
        data: DataArg,
        /// The order (or its QR text, `OTO:…`).
        #[arg(long)]
        id: String,
    },
    /// Take a step: accept (reserves stock, prices the order), reject, pick, ready, cancel.
    Step {
        #[command(flatten)]
        data: DataArg,
        /// The order.
        #[arg(long)]
        id: String,
        /// accept, reject, pick, ready or cancel.
        #[arg(long)]
        step: String,
        /// Why, or a note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Hand a ready order over (or dispatch a delivery): records the sale, paid online
    /// through the order's channel unless --cash/--card says otherwise.
    Handover {
        #[command(flatten)]
        data: DataArg,
        /// The order (or its QR text, `OTO:…`).
        #[arg(long)]
        id: String,
        /// Paid at the till in cash, this much (yuan).
        #[arg(long)]
        cash: Option<String>,
        /// A courier's waybill, or a note.
        #[arg(long)]
        note: Option<String>,
    },
}

/// `transfer`.
#[derive(Debug, Subcommand)]
pub enum TransferCommand {
    /// Ask another store for goods; prints the transfer's id.
    Request {
        #[command(flatten)]
        data: DataArg,
        /// The store to send them.
        #[arg(long)]
        from: String,
        /// SKU:QTY; repeat for more lines.
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
        /// A note for the other store.
        #[arg(long)]
        note: Option<String>,
    },
    /// Ship goods: against a request (--id; without --line, what was asked for), or
    /// with no request to a store (--to). Stock leaves this store.
    Ship {
        #[command(flatten)]
        data: DataArg,
        /// The request shipped.
        #[arg(long, conflicts_with = "to")]
        id: Option<String>,
        /// The receiving store, when nobody asked.
        #[arg(long, required_unless_present = "id")]
        to: Option<String>,
        /// SKU:QTY; repeat for more lines.
        #[arg(long = "line")]
        lines: Vec<String>,
        /// A note (a waybill number).
        #[arg(long)]
        note: Option<String>,
    },
    /// Receive a transfer in transit to this store; without --line, everything as shipped.
    Receive {
        #[command(flatten)]
        data: DataArg,
        /// The transfer.
        #[arg(long)]
        id: String,
        /// SKU:QTY as counted on arrival (0: none of it); repeat for more lines.
        #[arg(long = "line")]
        lines: Vec<String>,
        /// A note (what was damaged).
        #[arg(long)]
        note: Option<String>,
    },
    /// Call off a transfer that has not shipped.
    Cancel {
        #[command(flatten)]
        data: DataArg,
        /// The transfer.
        #[arg(long)]
        id: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Transfers to and from this store and where they stand.
    List {
        #[command(flatten)]
        data: DataArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `stocktake`.
#[derive(Debug, Subcommand)]
pub enum StocktakeCommand {
    /// Open a stocktake of the store or of one category; prints its id.
    Open {
        #[command(flatten)]
        data: DataArg,
        /// Only this category.
        #[arg(long)]
        category: Option<String>,
        /// Only this place (floor, backroom, warehouse): counted against what it holds,
        /// and posting corrects it. Without: the store's total, corrected on the floor.
        #[arg(long)]
        location: Option<String>,
    },
    /// Record a count (a recount replaces it).
    Count {
        #[command(flatten)]
        data: DataArg,
        /// The stocktake.
        #[arg(long)]
        id: String,
        /// Barcode or SKU.
        #[arg(long)]
        scan: String,
        /// Pieces, or grams for weighed products.
        #[arg(long)]
        qty: i64,
    },
    /// The variance report: counted against on hand.
    Report {
        #[command(flatten)]
        data: DataArg,
        /// The stocktake.
        #[arg(long)]
        id: String,
    },
    /// Post it: counted stock becomes on hand (journaled), and it closes.
    Post {
        #[command(flatten)]
        data: DataArg,
        /// The stocktake.
        #[arg(long)]
        id: String,
    },
}

/// `member`.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Register a member by mobile number.
    Register {
        #[command(flatten)]
        data: DataArg,
        /// Mobile number (11 digits; +86 allowed).
        #[arg(long)]
        phone: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Birthday, MM-DD (points count double that day).
        #[arg(long)]
        birthday: Option<String>,
        /// Another member's referral code (they earn points for it).
        #[arg(long)]
        referral: Option<String>,
    },
    /// A member by id, mobile number or referral code: tier, spend, points.
    Show {
        #[command(flatten)]
        data: DataArg,
        /// Member id, mobile number or referral code.
        key: String,
    },
    /// The newest members.
    List {
        #[command(flatten)]
        data: DataArg,
        /// How many.
        #[arg(long, default_value = "50")]
        limit: usize,
    },
    /// A member takes rewards for points (积分兑换): the points and the goods (from the
    /// floor) are taken, and the slip is printed.
    Redeem {
        #[command(flatten)]
        data: DataArg,
        /// Member id, mobile number or referral code.
        #[arg(long)]
        member: String,
        /// SKU:QTY of one of the program's rewards; repeat for more lines.
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
        /// Redemption id (idempotency key): run again with the same one, it is recorded once.
        #[arg(long)]
        id: Option<String>,
    },
    /// Print the member program (tiers, points, birthday, referral, rewards), or set it from a JSON file.
    Program {
        #[command(flatten)]
        data: DataArg,
        /// The program as JSON (the printed form).
        #[arg(long)]
        set: Option<PathBuf>,
    },
}

/// `suspended`.
#[derive(Debug, Subcommand)]
pub enum SuspendedCommand {
    /// List suspended sales.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Void a suspended sale (journaled for loss prevention); needs a supervisor.
    Void {
        #[command(flatten)]
        data: DataArg,
        /// The suspended sale's id.
        id: String,
        #[command(flatten)]
        auth: AuthArgs,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

/// `device`.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// The store's devices: the shared registry and what each last said.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Name a device in the store's shared registry (every node of the store gets it on
    /// its next sync); a device not installed yet can be registered ahead.
    Register {
        #[command(flatten)]
        data: DataArg,
        /// The device id, as in its MQTT topics.
        device: String,
        /// shelf, vending, gate, scanner, display, label or other (default: what the
        /// device announced).
        #[arg(long)]
        kind: Option<String>,
        /// Its name.
        #[arg(long, default_value = "")]
        name: String,
        /// Its Chinese name.
        #[arg(long, default_value = "")]
        name_zh: String,
        /// Where it stands.
        #[arg(long, default_value = "")]
        location: String,
    },
    /// Take a device out of service: it keeps its name, but is no longer expected online.
    Retire {
        #[command(flatten)]
        data: DataArg,
        /// The device id.
        device: String,
    },
    /// Ask a Toledo 8217 scale for its weight.
    Scale {
        /// Serial port, e.g. /dev/ttyUSB0.
        #[arg(long)]
        port: std::path::PathBuf,
        /// Baud rate.
        #[arg(long, default_value_t = 9600)]
        baud: u32,
    },
    /// Print each code a webcam sees (needs a build with `--features camera`).
    Camera {
        /// Camera index (0 is /dev/video0).
        #[arg(long, default_value_t = 0)]
        index: u32,
        /// Stop after this many codes.
        #[arg(long)]
        count: Option<usize>,
    },
    /// Print each code a serial scanner sends (it may be unplugged and replugged meanwhile).
    Scanner {
        /// Serial port, e.g. /dev/ttyACM0.
        #[arg(long)]
        port: std::path::PathBuf,
        /// Baud rate.
        #[arg(long, default_value_t = 9600)]
        baud: u32,
        /// What ends a code: cr, lf or tab.
        #[arg(long, default_value = "cr")]
        terminator: String,
        /// Stop after this many codes.
        #[arg(long)]
        count: Option<usize>,
    },
}

/// `print`.
#[derive(Debug, Subcommand)]
pub enum PrintCommand {
    /// Receipts not printed yet.
    Queue {
        #[command(flatten)]
        data: DataArg,
    },
    /// Print every queued receipt, oldest first.
    Pending {
        #[command(flatten)]
        data: DataArg,
        /// tcp:HOST[:PORT] or file:PATH.
        #[arg(long, env = "OPENTILL_PRINTER")]
        printer: String,
    },
    /// Reprint a sale's receipt or a refund slip.
    Receipt {
        #[command(flatten)]
        data: DataArg,
        /// The sale.
        #[arg(long, conflicts_with = "refund", required_unless_present = "refund")]
        sale: Option<String>,
        /// The refund.
        #[arg(long)]
        refund: Option<String>,
        /// tcp:HOST[:PORT] or file:PATH.
        #[arg(long, env = "OPENTILL_PRINTER")]
        printer: String,
    },
    /// Ask a network printer for its state (paper, cover, online).
    Status {
        /// tcp:HOST[:PORT].
        #[arg(long, env = "OPENTILL_PRINTER")]
        printer: String,
    },
}

/// `journal`.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Check sequence, hash chain, signatures and projections; exit 1 on the first bad entry.
    Verify {
        #[command(flatten)]
        data: DataArg,
    },
    /// Write every entry to standard output.
    Export {
        #[command(flatten)]
        data: DataArg,
        /// json or csv.
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
    },
}

/// `report`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// People through the unmanned-store gates per hour of a day.
    Footfall {
        #[command(flatten)]
        data: DataArg,
        /// The day, YYYY-MM-DD.
        #[arg(long)]
        date: String,
    },
    /// Sales analytics over local days: by hour, day, ISO week, category, cashier or
    /// payment method; top and slow sellers; average basket (客单价); members' RFM segments
    /// and repeat rate; footfall conversion. Refunds count negative.
    Analytics {
        #[command(flatten)]
        data: DataArg,
        /// What to group by.
        #[arg(long, value_enum)]
        by: AnalyticsBy,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Last day, inclusive.
        #[arg(long)]
        to: Option<String>,
        /// Top and slow sellers: list at most this many products.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        /// CSV (RFC 4180, a header row) instead of a table.
        #[arg(long)]
        csv: bool,
        /// With `--by members`: list every member who bought (recency, sales, net, R, F, M,
        /// segment) instead of the segments.
        #[arg(long)]
        list_members: bool,
    },
    /// Commission per staff member (导购) over a period.
    Commissions {
        #[command(flatten)]
        data: DataArg,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Last day, inclusive.
        #[arg(long)]
        to: Option<String>,
    },
    /// Set the commission rules from a JSON file (`{"default_bp": 100, "by_category": {"cosmetics": 500}}`), or print them.
    CommissionRules {
        #[command(flatten)]
        data: DataArg,
        /// The rules as JSON.
        #[arg(long)]
        set: Option<PathBuf>,
    },
    /// Sales by day, tender, category and product.
    Sales {
        #[command(flatten)]
        data: DataArg,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Last day, inclusive.
        #[arg(long)]
        to: Option<String>,
        /// Output.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The devices' MQTT broker: `embedded:PORT` (rumqttd in this process, on all
    /// interfaces), `embedded:HOST:PORT`, `mqtt://[user:password@]host:port` (an external
    /// broker such as Mosquitto), `mqtts://[user:password@]host:port` (the same over TLS),
    /// or `off`.
    #[arg(long, default_value = "embedded:1883", env = "OPENTILL_MQTT")]
    pub mqtt: String,
    /// The till's receipt printer: tcp:HOST[:PORT], serial:PATH[:BAUD] or file:PATH. Every
    /// sale recorded through the API prints there; without, receipts show on screen.
    #[arg(long, env = "OPENTILL_PRINTER")]
    pub printer: Option<String>,
    /// For `mqtts://`: the PEM file of the certificate authorities that signed the
    /// broker's certificate (default: the system's bundle).
    #[arg(long, env = "OPENTILL_MQTT_CA")]
    pub mqtt_ca: Option<PathBuf>,
    /// How long after items leave a smart shelf a sale must cover them before a shrink alert.
    #[arg(long, default_value_t = 600)]
    pub shrink_window_secs: u64,
    /// The built browser UI to serve at `/` (default: `ui/dist` when it exists).
    #[arg(long, env = "OPENTILL_UI")]
    pub ui: Option<PathBuf>,
    /// Once enrolled with a cloud (`sync enroll`), push the journal this often, in seconds
    /// (0: never; `sync push` by hand). While the cloud is unreachable the backlog stays on
    /// disk and drains when it answers again.
    #[arg(long, default_value_t = 10)]
    pub push_every_secs: u64,
    /// While the cloud (or the store's edge agent) is unreachable, the wait between tries
    /// doubles up to this many seconds.
    #[arg(long, default_value_t = 300)]
    pub push_backoff_max_secs: u64,
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to keep the demo store (default: a new temporary directory).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Sample sales to ring up.
    #[arg(long, default_value_t = 40)]
    pub sales: usize,
}

/// `sale-loop`.
#[derive(Debug, Args)]
pub struct SaleLoopArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Stop after this many sales.
    #[arg(long, default_value_t = u64::MAX)]
    pub count: u64,
    /// Random seed for item choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stamp the facts from this time (unix ms) instead of the clock's, each `--step-ms`
    /// after the one before: tests use it to make journals of chosen days.
    #[arg(long)]
    pub clock_ms: Option<i64>,
    /// With `--clock-ms`, milliseconds between two reads of the clock.
    #[arg(long, default_value_t = 1000)]
    pub step_ms: i64,
}
