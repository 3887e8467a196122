"""Local run: the whole system on 127.0.0.1 over moto's server mode, routes from template.yaml,
the real authorizer and handlers invoked in-process. No Docker, no AWS account."""
