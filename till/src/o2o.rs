//! O2O orders at the store (线上订单): the till's side of `opentill_core::o2o`. Orders come
//! from the cloud (`sync push`, or `serve`'s loop); the store accepts one (its stock is
//! reserved and the order priced by this store's engine, member benefits included),
//! picks it, marks it ready, and hands it over at the till when the customer shows the
//! order's QR code (or dispatches it to a courier): that records a sale with the same
//! prices and member benefits as any sale here, under the id `O2O-{order}`, so a retry
//! records it once.

use opentill_core::basket::Basket;
use opentill_core::journal::Fact;
use opentill_core::o2o::{Fulfilment, O2oError, O2oFact, OrderView, QR_PREFIX, Step, check_step, check_stock, sale_id_for};
use opentill_core::tender::{Tender, TenderKind};
use tracing::info;

use opentill_core::role::Actor;
use crate::{Result, SaleDone, Shopper, Till, TillError};

/// A note is at most this many characters.
const NOTE_MAX: usize = 200;

impl Till {
    /// Every order held for this store, newest first.
    pub fn o2o_orders(&self) -> Result<Vec<OrderView>> {
        Ok(self.replica.o2o_orders()?)
    }

    /// One order.
    pub fn o2o_order(&self, order_id: &str) -> Result<OrderView> {
        let id = order_id.strip_prefix(QR_PREFIX).unwrap_or(order_id);
        self.replica.o2o_order(id)?.ok_or_else(|| O2oError::Unknown(id.to_string()).into())
    }

    /// The order's lines in a basket, priced by this store's engine for its member.
    fn o2o_basket(&self, view: &OrderView) -> Result<Basket> {
        let mut basket = self.new_basket();
        for line in &view.order.lines {
            let product = self.replica.product_by_sku(&line.sku)?.ok_or_else(|| TillError::UnknownSku(line.sku.clone()))?;
            basket.add(&product, line.qty)?;
        }
        self.price(&mut basket, &Shopper { member: view.order.member.clone(), ..Shopper::default() })?;
        Ok(basket)
    }

    /// Takes a step on an order other than handing it over or dispatching it: accept
    /// (needs the order's stock free: on hand less what other open orders reserve; the
    /// order is priced), reject, pick, mark ready, cancel.
    pub fn o2o_step(&mut self, order_id: &str, step: Step, note: Option<&str>, by: &str) -> Result<OrderView> {
        if matches!(step, Step::HandedOver | Step::Dispatched) {
            return Err(TillError::BadInput("hand an order over (or dispatch it) with its own command, which records the sale".into()));
        }
        let view = self.o2o_order(order_id)?;
        check_step(&view, step)?;
        let note = note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        if note.as_ref().is_some_and(|n| n.chars().count() > NOTE_MAX || n.chars().any(char::is_control)) {
            return Err(TillError::BadInput(format!("a note must be at most {NOTE_MAX} characters on one line")));
        }
        let mut amount_minor = None;
        if step == Step::Accepted {
            let reserved = self.replica.o2o_reserved()?;
            let mut free = std::collections::BTreeMap::new();
            for line in &view.order.lines {
                free.insert(line.sku.clone(), self.replica.stock(&line.sku)? - reserved.get(&line.sku).copied().unwrap_or(0));
            }
            check_stock(&view.order, |sku| free.get(sku).copied().unwrap_or(0))?;
            amount_minor = Some(self.o2o_basket(&view)?.totals().total);
        }
        let fact = O2oFact { order_id: view.order.order_id.clone(), step, by: by.into(), amount_minor, sale_id: None, note };
        self.replica.append(self.clock.now_ms(), &Fact::O2o(fact))?;
        info!(order = %view.order.order_id, step = step.as_str(), "O2O order step");
        self.o2o_order(&view.order.order_id)
    }

    /// Hands a ready pickup order over at the till (or dispatches a ready delivery order):
    /// records the sale of its lines, priced as any sale here with the order's member,
    /// paid by `tenders` (none: paid online through the order's channel, an `online`
    /// tender referenced `CHANNEL:ORDER`), then the step. Sent again, it records
    /// nothing new.
    pub fn o2o_hand_over(&mut self, order_id: &str, tenders: Option<Vec<Tender>>, cashier: Option<&Actor>, note: Option<&str>) -> Result<(OrderView, SaleDone)> {
        let view = self.o2o_order(order_id)?;
        let step = match view.order.fulfilment {
            Fulfilment::Pickup => Step::HandedOver,
            Fulfilment::Delivery => Step::Dispatched,
        };
        let sale_id = sale_id_for(&view.order.order_id);
        if let Some((ts_ms, sale)) = self.replica.sale(&sale_id)?
            && view.sale.is_some()
        {
            return Ok((view, SaleDone { sale, ts_ms, seq: 0, new: false }));
        }
        let done = match self.replica.sale(&sale_id)? {
            // The sale was recorded and the step was not (cut off between the two).
            Some((ts_ms, sale)) => SaleDone { sale, ts_ms, seq: 0, new: false },
            None => {
                check_step(&view, step)?;
                let basket = self.o2o_basket(&view)?;
                let total = basket.totals().total;
                let tenders = tenders.unwrap_or_else(|| vec![Tender { kind: TenderKind::Online, amount: total, reference: Some(format!("{}:{}", view.order.channel, view.order.order_id)) }]);
                self.checkout_inner(&basket, Some(sale_id.clone()), &tenders, cashier, None, |_| Ok(()))?
            }
        };
        let note = note.map(str::trim).filter(|n| !n.is_empty() && n.chars().count() <= NOTE_MAX).map(str::to_string);
        let fact = O2oFact { order_id: view.order.order_id.clone(), step, by: cashier.map_or_else(|| "till".to_string(), |a| a.user_id.clone()), amount_minor: Some(done.sale.total), sale_id: Some(sale_id), note };
        self.replica.append(self.clock.now_ms(), &Fact::O2o(fact))?;
        info!(order = %view.order.order_id, sale = %done.sale.sale_id, total = done.sale.total, "O2O order handed over");
        Ok((self.o2o_order(&view.order.order_id)?, done))
    }
}
