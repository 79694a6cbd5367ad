"""Camunda Forms (form-js JSON) become one JSON Schema model with UI hints."""
from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator

from forms.camunda_forms import from_form_js
from forms.model import FormError

# A customer onboarding form as Camunda Modeler 5 saves it: every component form-js offers.
ONBOARDING = {
    "executionPlatform": "Camunda Cloud",
    "executionPlatformVersion": "8.5.0",
    "exporter": {"name": "Camunda Modeler", "version": "5.23.0"},
    "schemaVersion": 16,
    "id": "customer-onboarding",
    "type": "default",
    "components": [
        {"id": "Text_intro", "type": "text", "text": "# New customer\nPlease fill in **all** fields."},
        {"id": "Field_name", "type": "textfield", "key": "name", "label": "Full name",
         "description": "As on the passport", "validate": {"required": True, "minLength": 2, "maxLength": 80}},
        {"id": "Field_email", "type": "textfield", "key": "email", "label": "Email",
         "validate": {"required": True, "validationType": "email"}},
        {"id": "Field_phone", "type": "textfield", "key": "phone", "label": "Phone",
         "validate": {"validationType": "phone"}},
        {"id": "Field_iban", "type": "textfield", "key": "iban", "label": "IBAN",
         "validate": {"pattern": "^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"},
         "appearance": {"prefixAdorner": "IBAN"}},
        {"id": "Field_notes", "type": "textarea", "key": "notes", "label": "Notes", "defaultValue": "none"},
        {"id": "Field_age", "type": "number", "key": "age", "label": "Age", "decimalDigits": 0,
         "validate": {"required": True, "min": 18, "max": 120}},
        {"id": "Field_limit", "type": "number", "key": "credit_limit", "label": "Credit limit",
         "decimalDigits": 2, "increment": "0.05", "defaultValue": 1000},
        {"id": "Field_terms", "type": "checkbox", "key": "terms", "label": "I accept the terms",
         "validate": {"required": True}},
        {"id": "Field_news", "type": "checkbox", "key": "newsletter", "label": "Newsletter", "defaultValue": False},
        {"id": "Field_channels", "type": "checklist", "key": "channels", "label": "Channels",
         "values": [{"label": "Email", "value": "email"}, {"label": "Letter", "value": "letter"}],
         "validate": {"required": True}},
        {"id": "Field_segment", "type": "radio", "key": "segment", "label": "Segment",
         "values": [{"label": "Retail", "value": "retail"}, {"label": "Business", "value": "business"}],
         "defaultValue": "retail"},
        {"id": "Field_country", "type": "select", "key": "country", "label": "Country", "searchable": True,
         "valuesKey": "countries", "validate": {"required": True}},
        {"id": "Field_tags", "type": "taglist", "key": "tags", "label": "Tags",
         "values": [{"label": "VIP", "value": "vip"}, {"label": "New", "value": "new"}]},
        {"id": "Field_birth", "type": "datetime", "key": "birth_date", "subtype": "date", "dateLabel": "Born on"},
        {"id": "Field_call", "type": "datetime", "key": "call_at", "subtype": "time", "use24h": True,
         "timeLabel": "Call at", "timeSerializingFormat": "no_timezone"},
        {"id": "Field_meeting", "type": "datetime", "key": "meeting", "subtype": "datetime",
         "timeSerializingFormat": "utc_offset"},
        {"id": "Separator_1", "type": "separator"},
        {"id": "Group_address", "type": "group", "label": "Address", "path": "address", "showOutline": True,
         "components": [
             {"id": "Field_street", "type": "textfield", "key": "street", "label": "Street",
              "validate": {"required": True}},
             {"id": "Field_city", "type": "textfield", "key": "city", "label": "City"},
         ]},
        {"id": "Field_zip", "type": "textfield", "key": "address.zip", "label": "ZIP code"},
        {"id": "Group_plain", "type": "group", "label": "Contact person",
         "components": [{"id": "Field_contact", "type": "textfield", "key": "contact", "label": "Contact"}]},
        {"id": "List_items", "type": "dynamiclist", "path": "items", "label": "Items", "isRepeating": True,
         "defaultRepetitions": 1, "allowAddRemove": True,
         "components": [
             {"id": "Field_sku", "type": "textfield", "key": "sku", "label": "SKU", "validate": {"required": True}},
             {"id": "Field_qty", "type": "number", "key": "qty", "label": "Quantity", "decimalDigits": 0,
              "validate": {"min": 1}},
         ]},
        {"id": "Spacer_1", "type": "spacer", "height": 40},
        {"id": "Html_1", "type": "html", "content": "<p>Thank you</p>"},
        {"id": "Image_logo", "type": "image", "source": "=logo_url", "alt": "Logo"},
        {"id": "Field_reason", "type": "textarea", "key": "reject_reason", "label": "Why not?",
         "conditional": {"hide": "=segment = \"retail\""}, "validate": {"required": True}},
        {"id": "Field_ro", "type": "textfield", "key": "customer_id", "label": "Customer", "readonly": True},
        {"id": "Field_feel", "type": "textfield", "key": "greeting", "label": "=\"Hello \" + name"},
        {"id": "Button_submit", "type": "button", "action": "submit", "label": "Submit"},
    ],
}


@pytest.fixture
def onboarding():
    return from_form_js(copy.deepcopy(ONBOARDING), "onboarding.form")


def test_form_becomes_an_object_schema_of_draft_2020_12(onboarding):
    Draft202012Validator.check_schema(onboarding.schema)
    assert onboarding.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert onboarding.schema["type"] == "object"
    assert onboarding.warnings == []


def test_text_fields_carry_length_pattern_and_email_and_phone_checks(onboarding):
    props = onboarding.schema["properties"]
    assert props["name"] == {"type": "string", "minLength": 2, "maxLength": 80, "title": "Full name",
                             "description": "As on the passport"}
    assert props["email"]["format"] == "email" and props["email"]["minLength"] == 1
    assert props["phone"]["format"] == "phone"
    assert props["iban"]["pattern"] == "^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"
    fields = onboarding.ui_schema["fields"]
    assert fields["email"]["widget"] == "email" and fields["phone"]["widget"] == "phone"
    assert fields["iban"]["pattern_hint"] == "^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"
    assert fields["iban"]["prefix"] == "IBAN"
    assert fields["name"]["description"] == "As on the passport"
    assert fields["notes"]["widget"] == "textarea"


def test_numbers_become_integers_or_numbers_with_bounds_and_steps(onboarding):
    props = onboarding.schema["properties"]
    assert props["age"] == {"type": "integer", "minimum": 18, "maximum": 120, "title": "Age"}
    assert props["credit_limit"]["type"] == "number"
    assert props["credit_limit"]["multipleOf"] == 0.01
    assert props["credit_limit"]["allOf"] == [{"multipleOf": 0.05}]
    assert onboarding.ui_schema["fields"]["credit_limit"]["step"] == 0.05
    assert onboarding.ui_schema["fields"]["credit_limit"]["decimal_digits"] == 2


def test_a_required_checkbox_must_be_ticked(onboarding):
    assert onboarding.schema["properties"]["terms"] == {"type": "boolean", "const": True,
                                                        "title": "I accept the terms"}
    assert onboarding.schema["properties"]["newsletter"]["type"] == "boolean"


def test_static_options_become_enums_and_ui_options(onboarding):
    props, fields = onboarding.schema["properties"], onboarding.ui_schema["fields"]
    assert props["segment"]["enum"] == ["retail", "business"] and props["segment"]["type"] == "string"
    assert fields["segment"]["options"] == [{"value": "retail", "label": "Retail"},
                                            {"value": "business", "label": "Business"}]
    assert props["channels"] == {"type": "array", "items": {"enum": ["email", "letter"], "type": "string"},
                                 "uniqueItems": True, "minItems": 1, "title": "Channels"}
    assert props["tags"]["items"]["enum"] == ["vip", "new"]
    assert fields["tags"]["widget"] == "taglist" and fields["channels"]["widget"] == "checklist"


def test_options_from_a_variable_are_a_ui_hint_not_an_enum(onboarding):
    country = onboarding.schema["properties"]["country"]
    assert "enum" not in country
    assert onboarding.ui_schema["fields"]["country"]["options_from"] == "countries"
    assert onboarding.ui_schema["fields"]["country"]["searchable"] is True
    assert "country" in onboarding.schema["required"]


def test_datetime_subtypes_become_date_time_and_date_time_formats(onboarding):
    props, fields = onboarding.schema["properties"], onboarding.ui_schema["fields"]
    assert props["birth_date"] == {"type": "string", "format": "date"}
    assert props["call_at"]["format"] == "time" and props["meeting"]["format"] == "date-time"
    assert [fields[k]["widget"] for k in ("birth_date", "call_at", "meeting")] == ["date", "time", "datetime"]
    assert fields["call_at"]["use24h"] is True and fields["call_at"]["time_format"] == "no_timezone"
    assert fields["birth_date"]["date_label"] == "Born on"


def test_required_keys_are_listed_in_the_schema(onboarding):
    assert onboarding.schema["required"] == ["name", "email", "age", "terms", "channels", "country", "address"]


def test_group_with_a_path_and_dotted_keys_nest_objects(onboarding):
    address = onboarding.schema["properties"]["address"]
    assert address["type"] == "object"
    assert set(address["properties"]) == {"street", "city", "zip"}
    assert address["required"] == ["street"]
    group = onboarding.ui_schema["fields"]["address"]
    assert group["widget"] == "group" and group["label"] == "Address"
    assert group["children"] == ["address.street", "address.city"]
    assert onboarding.ui_schema["fields"]["address.zip"]["label"] == "ZIP code"


def test_group_without_a_path_only_groups_the_display(onboarding):
    assert "contact" in onboarding.schema["properties"]
    assert onboarding.ui_schema["fields"]["Group_plain"]["children"] == ["contact"]


def test_dynamic_list_is_an_array_of_objects_with_item_fields(onboarding):
    items = onboarding.schema["properties"]["items"]
    assert items["type"] == "array" and items["title"] == "Items"
    assert items["items"]["properties"]["qty"] == {"type": "integer", "minimum": 1, "title": "Quantity"}
    assert items["items"]["required"] == ["sku"]
    ui = onboarding.ui_schema["fields"]["items"]
    assert ui["widget"] == "dynamiclist" and ui["children"] == ["items[].sku", "items[].qty"]
    assert ui["default_repetitions"] == 1 and ui["allow_add_remove"] is True
    assert onboarding.ui_schema["fields"]["items[].qty"]["label"] == "Quantity"


def test_display_components_are_ui_only(onboarding):
    fields, props = onboarding.ui_schema["fields"], onboarding.schema["properties"]
    assert fields["Text_intro"] == {"label": "", "widget": "text-display", "readonly": False,
                                    "text": "# New customer\nPlease fill in **all** fields."}
    assert fields["Html_1"]["content"] == "<p>Thank you</p>" and fields["Html_1"]["widget"] == "html"
    assert fields["Image_logo"]["source"] == "=logo_url" and fields["Image_logo"]["widget"] == "image"
    assert fields["Spacer_1"]["height"] == 40 and fields["Separator_1"]["widget"] == "separator"
    assert not {"Text_intro", "Html_1", "Image_logo", "Spacer_1", "Separator_1"} & set(props)


def test_order_lists_top_level_components_and_drops_buttons(onboarding):
    order = onboarding.ui_schema["order"]
    assert order[:3] == ["Text_intro", "name", "email"]
    assert order.index("address") < order.index("address.zip") < order.index("Group_plain") < order.index("items")
    assert "Button_submit" not in order and "address.street" not in order


def test_defaults_are_nested_values(onboarding):
    assert onboarding.defaults == {"notes": "none", "credit_limit": 1000, "newsletter": False, "segment": "retail"}
    assert onboarding.schema["properties"]["segment"]["default"] == "retail"


def test_conditionally_hidden_field_keeps_its_condition_but_is_not_required_on_the_server(onboarding):
    ui = onboarding.ui_schema["fields"]["reject_reason"]
    assert ui["hidden_if"] == '=segment = "retail"' and ui["required"] is True
    assert "reject_reason" not in onboarding.schema["required"]


def test_readonly_fields_and_feel_labels_pass_through(onboarding):
    assert onboarding.ui_schema["fields"]["customer_id"]["readonly"] is True
    assert onboarding.schema["properties"]["customer_id"]["readOnly"] is True
    assert onboarding.ui_schema["fields"]["greeting"]["label"] == '="Hello " + name'


def test_group_with_a_path_nests_deeper_dotted_paths():
    model = from_form_js({"components": [
        {"type": "group", "path": "customer.address", "components": [
            {"type": "textfield", "key": "city", "validate": {"required": True}}]}]}, "deep")
    customer = model.schema["properties"]["customer"]
    assert customer["properties"]["address"]["properties"]["city"]["type"] == "string"
    assert model.schema["required"] == ["customer"] and customer["required"] == ["address"]
    assert "customer.address.city" in model.ui_schema["fields"]


def test_nested_dynamic_lists_use_item_paths():
    model = from_form_js({"components": [
        {"type": "dynamiclist", "path": "orders", "components": [
            {"type": "dynamiclist", "path": "lines", "components": [
                {"type": "number", "key": "qty", "label": "Qty"}]}]}]}, "nested")
    lines = model.schema["properties"]["orders"]["items"]["properties"]["lines"]
    assert lines["items"]["properties"]["qty"]["type"] == "number"
    assert model.ui_schema["fields"]["orders[].lines"]["children"] == ["orders[].lines[].qty"]


@pytest.mark.parametrize("kind", ["expression", "filepicker", "iframe", "table", "documentPreview"])
def test_unsupported_components_are_left_out_with_a_warning_naming_form_and_component(kind):
    model = from_form_js({"components": [{"id": "Comp_1", "type": kind, "key": "thing", "label": "Thing"}]},
                         "invoice.form")
    assert model.schema["properties"] == {}
    assert len(model.warnings) == 1
    assert model.warnings[0].startswith(f"form invoice.form: {kind} 'thing'")


def test_unknown_components_and_keyless_fields_warn():
    model = from_form_js({"components": [{"id": "X", "type": "signature"},
                                         {"id": "Field_1", "type": "textfield", "label": "No key"}]}, "f")
    assert model.warnings == ["form f: signature 'X' is a component type Fuse does not know; it is left out "
                              "of the form",
                              "form f: textfield 'Field_1' has no key; it is left out"]


def test_feel_validation_values_are_left_to_the_browser_with_a_warning():
    model = from_form_js({"components": [{"type": "number", "key": "amount", "validate": {"min": "=floor"}}]},
                         "f")
    assert "minimum" not in model.schema["properties"]["amount"]
    assert model.warnings == ["form f: number 'amount' validation min='=floor' is not a number Fuse can check; "
                              "only the browser checks it"]


def test_a_key_under_a_non_object_field_is_left_out_with_a_warning():
    model = from_form_js({"components": [{"type": "textfield", "key": "address"},
                                         {"type": "textfield", "key": "address.city"}]}, "f")
    assert model.schema["properties"]["address"]["type"] == "string"
    assert "address.city" not in model.ui_schema["fields"]
    assert "cannot nest 'address.city'" in model.warnings[0]


def test_a_document_without_components_is_refused():
    with pytest.raises(FormError, match="not a Camunda form"):
        from_form_js({"components": "oops"}, "broken.form")
