"""The one exception rule: PermanentError -> DLQ; anything else is retried, then crashes loudly."""


class PermanentError(Exception):
    """A message that can never succeed (undecodable, schema-invalid, semantically impossible).

    The consumer runtime sends it to the DLQ with the error in the headers and moves on.
    """


class ConfigError(Exception):
    """An operator's configuration file is invalid. The message names the file and the field."""
