"""The formulation lab's console in the browser: sign-in, the production queue, an order's batch sheet and label,
quality checks and corrections (``router.LAB_CONSOLE`` under ``/lab/``)."""
