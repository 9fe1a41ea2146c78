import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def get_engine():
    return current_app.extensions["migrate"].db.engine


target_metadata = current_app.extensions["migrate"].db.metadata


def include_name(name, type_, parent_names):
    """Autogenerate leaves the full-text indexes alone: ``fundapp.core.fulltext`` makes them."""
    from fundapp.core.fulltext import is_index_object

    return not is_index_object(name)


def run_migrations_offline():
    context.configure(url=str(get_engine().url), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = get_engine()
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_name=include_name,
            **current_app.extensions["migrate"].configure_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
