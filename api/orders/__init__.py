"""Orders: placed by the customer, made by the lab through an explicit state machine."""
