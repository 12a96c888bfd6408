"""The HTTP read models of each service's API: what its routes answer, as types.

Like `parkgrid.contracts` for events, this is published: a service's routes declare these
as their response models (so its OpenAPI documents every body and schemathesis checks
them), and the front desk parses what it reads into the same types instead of guessing
shapes. One module per service; nothing here is any service's internal model.
"""
