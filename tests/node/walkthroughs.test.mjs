// The README's seed walk-throughs ("What `make run` gives you", "Payments across the pool") through the
// official stripe Node SDK, against orgshare. ORGSHARE_URL, the demo keys and account ids come from the
// environment (tests/integration/test_node_sdk.py sets them). Other tests share the system's pools, so
// every email here carries a tag of this run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import Stripe from "stripe";

const url = new URL(process.env.ORGSHARE_URL);
const options = { host: url.hostname, port: Number(url.port), protocol: url.protocol.replace(":", ""), maxNetworkRetries: 0 };
const rides = new Stripe(process.env.RIDES_KEY, options);
const deliveries = new Stripe(process.env.DELIVERIES_KEY, options);
const rentals = new Stripe(process.env.RENTALS_KEY, options);
const platform = new Stripe(process.env.PLATFORM_KEY, options);
const ACCT_ROCKET_DELIVERIES = process.env.DELIVERIES_ACCOUNT;
const tag = () => "n" + randomBytes(5).toString("hex");

// orgshare's own routes (usage, connectors) have no SDK method: a plain GET with the account's key.
async function get(key, path) {
  const answer = await fetch(`${url.origin}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  const body = await answer.json();
  assert.equal(answer.status, 200, JSON.stringify(body));
  return body;
}

async function connectorIds(key) {
  const profile = (await get(key, "/v1/business_profiles")).data.find((p) => p.is_default);
  return (await get(key, `/v1/business_profiles/${profile.id}/connectors`)).data.map((c) => c.id);
}

const isStatus = (status, code) => (err) => {
  assert.equal(err.statusCode, status, err.message);
  if (code) assert.equal(err.code, code);
  return true;
};

test("one customer for the pool: shared fields, per-account metadata, a standard account's own pool", async () => {
  const email = `jenny.${tag()}@example.com`;
  const jenny = await rides.customers.create({ name: "Jenny Rosen", email, metadata: { ride: "42" } });
  const same = await deliveries.customers.retrieve(jenny.id);
  assert.equal(same.id, jenny.id);
  assert.equal(same.email, email);
  assert.deepEqual(same.metadata, {}); // metadata belongs to each account

  await assert.rejects(rentals.customers.retrieve(jenny.id), (err) => {
    assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError, String(err));
    return isStatus(404, "resource_missing")(err);
  });

  await deliveries.customers.update(jenny.id, { phone: "+1 415 555 0123", metadata: { drop: "7" } });
  const seen = await rides.customers.retrieve(jenny.id);
  assert.equal(seen.phone, "+1 415 555 0123"); // a shared field, changed by Deliveries
  assert.deepEqual(seen.metadata, { ride: "42" }); // Deliveries' metadata stays Deliveries'
});

test("a card saved by Rides is charged by Deliveries through its own connector; each payment is its account's", async () => {
  const jenny = await rides.customers.create({ name: "Jenny Rosen", email: `jenny.${tag()}@example.com` });
  const first = await rides.paymentIntents.create({
    amount: 2500, currency: "eur", customer: jenny.id, payment_method: "pm_card_visa",
    setup_future_usage: "off_session", confirm: true,
  });
  assert.equal(first.status, "succeeded");
  assert.equal(first.amount_received, 2500);

  const saved = await deliveries.customers.listPaymentMethods(jenny.id);
  assert.deepEqual(saved.data.map((pm) => pm.id), [first.payment_method]); // the same card, same id
  const card = saved.data[0];
  const second = await deliveries.paymentIntents.create({
    amount: 1800, currency: "eur", customer: jenny.id, payment_method: card.id, confirm: true,
  });
  assert.equal(second.status, "succeeded");
  assert.equal(second.amount_received, 1800);

  // Through Deliveries' connector, not Rides': the card's audit trail says which.
  const usage = (await get(process.env.RIDES_KEY, `/v1/payment_methods/${card.id}/usage`)).data;
  const theirs = usage.find((u) => u.payment_intent === second.id);
  assert.ok(theirs, JSON.stringify(usage));
  assert.equal(theirs.account, ACCT_ROCKET_DELIVERIES);
  assert.ok((await connectorIds(process.env.DELIVERIES_KEY)).includes(theirs.connector));
  assert.ok(!(await connectorIds(process.env.RIDES_KEY)).includes(theirs.connector));

  // Each payment is listed only to its account; the platform sees Deliveries' only on its behalf.
  const ids = (list) => list.data.map((p) => p.id);
  assert.deepEqual(ids(await rides.paymentIntents.list({ customer: jenny.id })), [first.id]);
  assert.deepEqual(ids(await deliveries.paymentIntents.list({ customer: jenny.id })), [second.id]);
  assert.deepEqual(ids(await platform.paymentIntents.list({ customer: jenny.id })), []);
  const onBehalf = await platform.paymentIntents.list({ customer: jenny.id }, { stripeAccount: ACCT_ROCKET_DELIVERIES });
  assert.deepEqual(ids(onBehalf), [second.id]);
  await assert.rejects(rides.paymentIntents.retrieve(second.id), isStatus(404, "resource_missing"));

  // A partial refund, by the account that was paid.
  const refund = await deliveries.refunds.create({ payment_intent: second.id, amount: 500 });
  assert.equal(refund.status, "succeeded");
  assert.equal(refund.amount, 500);
  const charge = await deliveries.charges.retrieve(second.latest_charge);
  assert.equal(charge.amount_refunded, 500);
  assert.equal(charge.refunded, false);
  await assert.rejects(rides.refunds.create({ payment_intent: second.id, amount: 100 }), isStatus(404));

  // A decline is a 402 card error; the intent goes back to requires_payment_method.
  const declining = rides.paymentIntents.create({
    amount: 900, currency: "usd", confirm: true,
    payment_method_data: { type: "card", card: { number: "4000000000000002", exp_month: 12, exp_year: 2034, cvc: "123" } },
  });
  await assert.rejects(declining, (err) => {
    assert.ok(err instanceof Stripe.errors.StripeCardError, String(err));
    assert.equal(err.type, "StripeCardError");
    assert.equal(err.statusCode, 402);
    assert.equal(err.code, "card_declined");
    assert.equal(err.decline_code, "generic_decline");
    assert.equal(err.payment_intent.status, "requires_payment_method");
    return true;
  });
});

test("customers.search by email across the pool, and a payment intent retrieved with expand: ['latest_charge']", async () => {
  const email = `jenny.${tag()}@example.com`;
  const jenny = await rides.customers.create({ name: "Jenny Rosen", email });
  const query = `email:"${email}"`;
  const found = await rides.customers.search({ query });
  assert.equal(found.object, "search_result");
  assert.deepEqual(found.data.map((c) => c.id), [jenny.id]);
  assert.deepEqual((await deliveries.customers.search({ query })).data.map((c) => c.id), [jenny.id]); // the same pool
  assert.deepEqual((await rentals.customers.search({ query })).data, []); // a pool of its own

  const paid = await rides.paymentIntents.create({
    amount: 1200, currency: "usd", customer: jenny.id, payment_method: "pm_card_visa", confirm: true,
  });
  const plain = await rides.paymentIntents.retrieve(paid.id);
  assert.equal(typeof plain.latest_charge, "string");
  const expanded = await rides.paymentIntents.retrieve(paid.id, { expand: ["latest_charge"] });
  assert.equal(expanded.latest_charge.object, "charge");
  assert.equal(expanded.latest_charge.id, plain.latest_charge);
  assert.equal(expanded.latest_charge.payment_intent, paid.id);
  assert.equal(expanded.latest_charge.customer, jenny.id);
  assert.equal(expanded.latest_charge.amount, 1200);
});
