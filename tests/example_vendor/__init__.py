"""An example vendor, as small as a vendor can be and shaped as every vendor is: an
OAuth-style client-credentials token endpoint and an introspection endpoint.

The contract test (tests/vendors/test_contract.py) serves it beside the registered
vendors, through EMULATOR_VENDOR_PACKAGES, and holds it to the same contract;
docs/adding-a-vendor.md walks through its files.
"""
