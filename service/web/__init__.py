"""HTTP plumbing: problems, body limits and JSON, uploads, rate limit, paging, dependencies."""
