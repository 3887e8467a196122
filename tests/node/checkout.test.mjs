// The seed's checkout walk-through through the official stripe Node SDK, against orgshare.
// ORGSHARE_URL and the demo keys come from the environment (tests/integration/test_node_sdk.py sets them).
import { test } from "node:test";
import assert from "node:assert/strict";
import Stripe from "stripe";

const url = new URL(process.env.ORGSHARE_URL);
const options = { host: url.hostname, port: Number(url.port), protocol: url.protocol.replace(":", ""), maxNetworkRetries: 0 };
const rides = new Stripe(process.env.RIDES_KEY, options);
const deliveries = new Stripe(process.env.DELIVERIES_KEY, options);
const ACCT_ROCKET_RIDES = process.env.RIDES_ACCOUNT;
const ACCT_ROCKET_DELIVERIES = process.env.DELIVERIES_ACCOUNT;

// What the embedded checkout page's script sends: the publishable key and the session's client secret.
async function pay(publishableKey, session, fields) {
  const body = new URLSearchParams({ client_secret: session.client_secret, ...fields });
  const answer = await fetch(`${url.origin}/v1/checkout/sessions/${session.id}/confirm`, {
    method: "POST", body, headers: { Authorization: `Bearer ${publishableKey}` },
  });
  return { status: answer.status, body: await answer.json() };
}

test("a card saved in Rocket Rides' checkout is offered and paid with in Rocket Deliveries'", async () => {
  const session = await rides.checkout.sessions.create({
    customer_creation: "always",
    line_items: [{ price_data: { currency: "usd", product_data: { name: "Ride service" }, unit_amount: 7500 }, quantity: 1 }],
    mode: "payment", ui_mode: "embedded", return_url: "https://checkout.rocket-rides.com/success",
    saved_payment_method_options: { payment_method_save: "enabled" },
  }, { stripeAccount: ACCT_ROCKET_RIDES });
  assert.equal(session.status, "open");
  assert.equal(session.amount_total, 7500);
  assert.ok(session.client_secret);

  const card = { "card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123" };
  const first = await pay(process.env.RIDES_PUBLISHABLE_KEY, session, { ...card, save_payment_method: "true", email: "jenny@example.com" });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.status, "complete");
  const CUSTOMER_ID = first.body.customer;

  const shared = await deliveries.customers.listPaymentMethods(CUSTOMER_ID);
  assert.equal(shared.data.length, 1);
  assert.equal(shared.data[0].allow_redisplay, "always");

  const second = await deliveries.checkout.sessions.create({
    customer: CUSTOMER_ID, mode: "payment", ui_mode: "embedded", return_url: "https://deliveries.example/done",
    line_items: [{ price_data: { currency: "usd", product_data: { name: "Delivery service" }, unit_amount: 5000 }, quantity: 1 }],
  }, { stripeAccount: ACCT_ROCKET_DELIVERIES });
  const paid = await pay(process.env.DELIVERIES_PUBLISHABLE_KEY, second, { payment_method: shared.data[0].id });
  assert.equal(paid.status, 200, JSON.stringify(paid.body));
  const intent = await deliveries.paymentIntents.retrieve(paid.body.payment_intent);
  assert.equal(intent.amount_received, 5000);
  assert.equal(intent.payment_method, shared.data[0].id);
  await assert.rejects(rides.paymentIntents.retrieve(intent.id), (err) => err.statusCode === 404);

  const listed = await rides.checkout.sessions.list({ customer: CUSTOMER_ID });
  assert.deepEqual(listed.data.map((s) => s.id), [session.id]);
  const items = await rides.checkout.sessions.listLineItems(session.id);
  assert.equal(items.data[0].description, "Ride service");
});
