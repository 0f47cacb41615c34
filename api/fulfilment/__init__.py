"""Fulfilment: events to the delivery partner (outbox and worker) and its signed events back."""
