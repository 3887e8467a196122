"""Stripe-shaped API errors. Domain code raises these; the API layer renders them."""

from __future__ import annotations

from typing import Any

# The codes Stripe documents on its error-codes page (the `code` enum of Stripe's OpenAPI spec, as
# stripe-python 16 carries it): only these get a doc_url, in the form Stripe's own API sends, so
# every doc_url we send resolves. Our own codes (api_key_missing, currency_invalid, ...) get none:
# the README's "Errors" section lists them.
DOC_URL = "https://stripe.com/docs/error-codes/"
STRIPE_DOCUMENTED = frozenset(
    """
    account_closed account_country_invalid_address account_error_country_change_requires_additional_steps
    account_information_mismatch account_invalid account_number_invalid account_token_required_for_v2_account
    acss_debit_session_incomplete action_blocked alipay_upgrade_required amount_too_large amount_too_small
    anomalous_money_movement_request api_key_expired application_fees_not_allowed approval_required authentication_failure
    authentication_required balance_insufficient balance_invalid_parameter bank_account_bad_routing_numbers
    bank_account_declined bank_account_exists bank_account_restricted bank_account_unusable bank_account_unverified
    bank_account_verification_failed billing_invalid_mandate bitcoin_upgrade_required capability_not_active
    capture_charge_authorization_expired capture_unauthorized_payment card_decline_rate_limit_exceeded card_declined
    cardholder_phone_number_required charge_already_captured charge_already_refunded charge_disputed
    charge_exceeds_source_limit charge_exceeds_transaction_limit charge_expired_for_capture charge_invalid_parameter
    charge_not_refundable clearing_code_unsupported country_code_invalid country_unsupported coupon_expired
    customer_max_payment_methods customer_max_subscriptions customer_session_expired customer_tax_location_invalid
    debit_not_authorized dispute_evidence_page_limit_exceeded email_invalid expired_card expired_payment_method
    failed_tax_calculation financial_account_balance_does_not_support_currency financial_account_capability_not_enabled
    financial_account_capability_restricted financial_connections_account_inactive
    financial_connections_account_pending_account_numbers financial_connections_account_unavailable_account_numbers
    financial_connections_consent_locale_invalid financial_connections_consent_locale_unsupported
    financial_connections_no_successful_transaction_refresh forwarding_api_inactive forwarding_api_invalid_parameter
    forwarding_api_retryable_upstream_error forwarding_api_upstream_connection_error
    forwarding_api_upstream_connection_timeout forwarding_api_upstream_error idempotency_key_in_use incorrect_address
    incorrect_cvc incorrect_number incorrect_postal_code incorrect_zip india_recurring_payment_mandate_canceled
    instant_payouts_config_disabled instant_payouts_currency_disabled instant_payouts_limit_exceeded
    instant_payouts_unsupported insufficient_funds intent_invalid_state intent_verification_method_missing
    invalid_canceled_subscription_fields invalid_card_type invalid_characters invalid_charge_amount invalid_cvc
    invalid_expiry_month invalid_expiry_year invalid_mandate_reference_prefix_format invalid_number invalid_source_usage
    invalid_tax_location invoice_no_customer_line_items invoice_no_payment_method_types invoice_no_subscription_line_items
    invoice_not_editable invoice_on_behalf_of_not_editable invoice_payment_intent_requires_action invoice_upcoming_none
    livemode_mismatch lock_timeout missing no_account not_allowed_on_standard_account out_of_inventory
    ownership_declaration_not_allowed parameter_invalid_empty parameter_invalid_integer parameter_invalid_string_blank
    parameter_invalid_string_empty parameter_missing parameter_unknown parameters_exclusive
    payment_evaluation_on_api_version_not_supported payment_intent_action_required payment_intent_authentication_failure
    payment_intent_incompatible_payment_method payment_intent_invalid_parameter
    payment_intent_konbini_rejected_confirmation_number payment_intent_mandate_invalid
    payment_intent_payment_attempt_expired payment_intent_payment_attempt_failed payment_intent_rate_limit_exceeded
    payment_intent_unexpected_state payment_method_bank_account_already_verified payment_method_bank_account_blocked
    payment_method_billing_details_address_missing payment_method_configuration_failures payment_method_currency_mismatch
    payment_method_customer_decline payment_method_invalid_parameter payment_method_invalid_parameter_testmode
    payment_method_microdeposit_failed payment_method_microdeposit_processing_error
    payment_method_microdeposit_verification_amounts_invalid payment_method_microdeposit_verification_amounts_mismatch
    payment_method_microdeposit_verification_attempts_exceeded
    payment_method_microdeposit_verification_descriptor_code_mismatch payment_method_microdeposit_verification_timeout
    payment_method_not_available payment_method_provider_decline payment_method_provider_timeout payment_method_restricted
    payment_method_unactivated payment_method_unexpected_state payment_method_unsupported_type
    payout_reconciliation_not_ready payouts_limit_exceeded payouts_not_allowed platform_account_required
    platform_api_key_expired postal_code_invalid processing_error product_inactive progressive_onboarding_limit_exceeded
    rate_limit refer_to_customer refund_disputed_payment request_blocked resource_already_exists resource_missing
    return_intent_already_processed routing_number_invalid secret_key_required sepa_unsupported_account
    service_period_coupon_with_metered_tiered_item_unsupported setup_attempt_failed setup_intent_authentication_failure
    setup_intent_invalid_parameter setup_intent_mandate_invalid setup_intent_mobile_wallet_unsupported
    setup_intent_setup_attempt_expired setup_intent_unexpected_state shipping_address_invalid shipping_calculation_failed
    siret_invalid sku_inactive smart_disputes_not_available state_unsupported status_transition_invalid
    storer_capability_missing storer_capability_not_active stripe_tax_inactive
    subscription_update_trial_after_billing_cycle_anchor tax_id_invalid tax_id_prohibited taxes_calculation_failed
    terminal_location_country_unsupported terminal_reader_busy terminal_reader_hardware_fault
    terminal_reader_invalid_location_for_activation terminal_reader_invalid_location_for_payment terminal_reader_offline
    terminal_reader_timeout testmode_charges_only three_d_secure_authentication_not_supported
    three_d_secure_authentication_upstream_error tls_version_unsupported token_already_used token_card_network_invalid
    token_in_use transfer_source_balance_parameters_mismatch transfers_not_allowed url_invalid
    """.split()  # noqa: SIM905 - a word list reads better than 209 quoted strings
)


def doc_url(code: str | None) -> str | None:
    return f"{DOC_URL}{code.replace('_', '-')}" if code in STRIPE_DOCUMENTED else None


# A 500's words. With an Idempotency-Key whose request had already written something, a retry with
# that key is answered with this same 500 (the work is not run twice): a new key runs it anew.
UNEXPECTED_MESSAGE = "An unexpected error occurred; the request id identifies it."


class ApiError(Exception):
    status = 400
    type = "invalid_request_error"
    code: str | None = None  # a subclass's default code
    # True for an error raised after its request's changes were committed (a card decline): the
    # idempotency layer stores it as the answer instead of forgetting the request.
    stored = False
    # False where the API gateway renders the same errors (401s, from the authorizer's answer) and
    # cannot add a doc_url: both say the same.
    documented = True

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else type(self).code
        self.param = param

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            if self.documented and (url := doc_url(self.code)):
                error["doc_url"] = url
        if self.param:
            error["param"] = self.param
        return {"error": error}


class InvalidRequest(ApiError):
    pass


class ResourceMissing(InvalidRequest):
    status = 404

    def __init__(self, kind: str, object_id: str, param: str = "id") -> None:
        super().__init__(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


class UnrecognizedUrl(InvalidRequest):
    status = 404

    def __init__(self, method: str, path: str) -> None:
        # resource_missing, as the gateway's answer for a path no route has.
        super().__init__(f"Unrecognized request URL ({method}: {path}).", code="resource_missing")


class AuthenticationFailed(ApiError):
    status = 401
    type = "authentication_error"
    documented = False


class PermissionDenied(ApiError):
    status = 403
    type = "permission_error"


class ProcessorUnavailable(ApiError):
    """The payment processor could not be reached or failed. Nothing changed here, and retrying the
    same request reaches the processor with the same idempotency key, so it cannot charge twice."""

    status = 502
    type = "api_error"


class CardError(ApiError):
    status = 402
    type = "card_error"


class IdempotencyFailed(ApiError):
    type = "idempotency_error"


class IdempotencyInProgress(ApiError):
    status = 409
    type = "idempotency_error"


class Conflict(ApiError):
    # Lost a race with a concurrent write: safe for the client to retry.
    status = 409
    type = "api_error"
    code = "lock_timeout"


class PayloadTooLarge(InvalidRequest):
    status = 413
