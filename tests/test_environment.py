"""environment.yml mirrors pyproject.toml, and the running environment satisfies it."""

from helpers.environment import check_environment, declared_requirements


def test_environment_yml_mirrors_pyproject():
    assert declared_requirements("environment.yml") == declared_requirements("pyproject")


def test_installed_packages_meet_the_declared_bounds():
    env = check_environment()
    assert env["ok"].all(), env[~env["ok"]].to_string()
