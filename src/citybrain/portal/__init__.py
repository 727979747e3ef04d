"""The pages (一端惠城): residents' app, staff console and cockpit, over the pillars' services."""
