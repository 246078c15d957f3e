"""The backend services: clients, circuit breakers, model versions, /v1/services."""
