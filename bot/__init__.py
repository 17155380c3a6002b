"""civicbot core: the platform-neutral conversation engine."""
