"""The P4_16 grammar (LALR(1), for lark) of the subset this compiler accepts.

Type names are told apart from other identifiers by the lexer (as p4c does):
``TYPE_IDENT`` tokens are identifiers that a pre-scan of the program found
declared as types (see ``parser.collect_type_names``).
"""

P4_GRAMMAR = r"""
start: declaration*

?declaration: const_decl
    | header_decl
    | struct_decl
    | union_decl
    | enum_decl
    | typedef_decl
    | error_decl
    | match_kind_decl
    | extern_decl
    | extern_func_decl
    | parser_decl
    | parser_type_decl
    | control_decl
    | control_type_decl
    | package_decl
    | action_decl
    | instantiation
    | function_decl
    | ";" -> empty_decl

// ---------------------------------------------------------------- annotations
annotation: "@" name
    | "@" name "(" [anno_args] ")"
anno_args: anno_arg ("," anno_arg)*
?anno_arg: expr
    | anno_kv
anno_kv: IDENT "=" expr

// ---------------------------------------------------------------- names
name: IDENT | TYPE_IDENT | KW_TYPE | KW_STATE | KW_ENTRIES | KW_KEY | KW_ACTIONS | APPLY
member: IDENT | TYPE_IDENT | APPLY | KW_KEY | KW_ACTIONS | KW_ENTRIES | KW_STATE | KW_TYPE
APPLY: "apply"
KW_KEY: "key"
KW_ACTIONS: "actions"
KW_ENTRIES: "entries"
KW_STATE: "state"
KW_TYPE: "type"

// ---------------------------------------------------------------- types
?type_ref: base_type
    | named_type
    | specialized_type
    | stack_type
    | tuple_type
base_type: BOOL -> bool_type
    | ERROR -> error_type
    | STRING_T -> string_type
    | BIT -> bit1_type
    | INT_T -> int_any_type
    | BIT "<" INT rangle -> bit_type
    | INT_T "<" INT rangle -> int_type
    | VARBIT "<" INT rangle -> varbit_type
    | BIT "<" "(" expr ")" rangle -> bit_type
    | INT_T "<" "(" expr ")" rangle -> int_type
    | VARBIT "<" "(" expr ")" rangle -> varbit_type
BOOL: "bool"
ERROR: "error"
STRING_T: "string"
BIT: "bit"
INT_T: "int"
VARBIT: "varbit"
named_type: TYPE_IDENT | "." TYPE_IDENT
specialized_type: TYPE_IDENT "<" type_args rangle
stack_type: (named_type | specialized_type) "[" expr "]"
tuple_type: "tuple" "<" type_args rangle
type_args: type_arg ("," type_arg)*
?type_arg: type_ref
    | "_" -> dontcare_type
    | VOID -> void_type
type_params: "<" name ("," name)* rangle
rangle: ">" | GT_SHIFT
VOID: "void"
GT_SHIFT: /\$gtshift\$/
GENERIC_LT: /\$genlt\$/

// ---------------------------------------------------------------- type declarations
const_decl: annotation* "const" type_ref name "=" expr ";"
header_decl: annotation* "header" name "{" field* "}"
struct_decl: annotation* "struct" name "{" field* "}"
union_decl: annotation* "header_union" name "{" field* "}"
field: annotation* type_ref name ";"
enum_decl: annotation* "enum" name "{" name ("," name)* ","? "}"
    | annotation* "enum" type_ref name "{" enum_member ("," enum_member)* ","? "}" -> ser_enum_decl
enum_member: name "=" expr
typedef_decl: annotation* "typedef" type_ref name ";"
    | annotation* "type" type_ref name ";" -> newtype_decl
error_decl: "error" "{" name ("," name)* ","? "}"
match_kind_decl: "match_kind" "{" name ("," name)* ","? "}"

// ---------------------------------------------------------------- externs
extern_decl: annotation* "extern" name "{" method_decl* "}"
    | annotation* "extern" specialized_type "{" method_decl* "}" -> generic_extern_decl
extern_func_decl: annotation* "extern" (type_ref | VOID) name type_params? "(" params ")" ";"
method_decl: annotation* (type_ref | VOID) name type_params? "(" params ")" ";"
    | annotation* TYPE_IDENT "(" params ")" ";" -> ctor_decl
    | annotation* "abstract" (type_ref | VOID) name type_params? "(" params ")" ";"
params: [param ("," param)*]
param: annotation* direction? type_ref name ("=" expr)?
direction: IN | OUT | INOUT
IN: "in"
OUT: "out"
INOUT: "inout"

// ---------------------------------------------------------------- parsers
parser_type_decl: annotation* "parser" name type_params? "(" params ")" ";"
parser_decl: annotation* "parser" name type_params? "(" params ")" ctor_params? "{" parser_local* parser_state* "}"
ctor_params: "(" params ")"
?parser_local: const_decl | var_decl | instantiation | value_set_decl
value_set_decl: annotation* "value_set" "<" type_arg rangle "(" expr ")" name ";"
parser_state: annotation* "state" name "{" statement* transition? "}"
transition: "transition" name ";"
    | "transition" select_expr -> select_transition
    | "transition" "accept" ";" -> accept_transition
    | "transition" "reject" ";" -> reject_transition
select_expr: "select" "(" expr_list ")" "{" select_case* "}"
select_case: keyset ":" state_name ";"
?state_name: name | "accept" -> accept_name | "reject" -> reject_name
?keyset: simple_keyset
    | "(" simple_keyset ("," simple_keyset)+ ")" -> keyset_tuple
?simple_keyset: expr
    | "default" -> keyset_default
    | "_" -> keyset_dontcare
    | expr "&&&" expr -> keyset_mask
    | expr ".." expr -> keyset_range

// ---------------------------------------------------------------- controls
control_type_decl: annotation* "control" name type_params? "(" params ")" ";"
control_decl: annotation* "control" name type_params? "(" params ")" ctor_params? "{" control_local* "apply" block "}"
?control_local: const_decl | var_decl | instantiation | action_decl | table_decl | function_decl
package_decl: annotation* "package" name type_params? "(" params ")" ";"
action_decl: annotation* "action" name "(" params ")" block
table_decl: annotation* "table" name "{" table_prop* "}"
    | annotation* "table" name "(" ")" "{" table_prop* "}"
?table_prop: "key" "=" "{" key_elem* "}" -> table_key
    | "actions" "=" "{" action_ref* "}" -> table_actions
    | annotation* CONST? "entries" "=" "{" entry* "}" -> table_entries
    | annotation* CONST? name "=" expr ";" -> table_property
CONST: "const"
key_elem: expr ":" name annotation* ";"
action_ref: annotation* name ";"
    | annotation* name "(" args ")" ";"
entry: keyset ":" entry_action annotation* ";"
    | IDENT "=" expr ":" keyset ":" entry_action annotation* ";" -> prio_entry
entry_action: name | name "(" args ")"
instantiation: annotation* type_ref "(" args ")" name ";"
var_decl: annotation* type_ref name ";"
    | annotation* type_ref name "=" expr ";"
function_decl: annotation* (type_ref | VOID) name type_params? "(" params ")" block

// ---------------------------------------------------------------- statements
block: "{" statement* "}"
?statement: assignment
    | call_statement
    | if_statement
    | block
    | "exit" ";" -> exit_stmt
    | "return" ";" -> return_stmt
    | "return" expr ";" -> return_stmt
    | switch_statement
    | var_decl
    | const_decl
    | ";" -> empty_stmt
assignment: lvalue "=" expr ";"
    | lvalue ASSIGN_OP expr ";" -> op_assignment
ASSIGN_OP: "+=" | "-=" | "*=" | "&=" | "|=" | "^=" | "<<=" | "|+|=" | "|-|="
call_statement: lvalue "(" args ")" ";"
    | lvalue GENERIC_LT type_args rangle "(" args ")" ";" -> generic_call_statement
if_statement: "if" "(" expr ")" statement
    | "if" "(" expr ")" statement "else" statement
switch_statement: "switch" "(" expr ")" "{" switch_case* "}"
switch_case: switch_label ":" block
    | switch_label ":" -> fallthrough_case
?switch_label: expr | "default" -> default_label
?lvalue: IDENT -> name_expr
    | "." IDENT -> name_expr
    | KW_TYPE -> name_expr
    | KW_KEY -> name_expr
    | KW_ACTIONS -> name_expr
    | KW_ENTRIES -> name_expr
    | KW_STATE -> name_expr
    | lvalue "." member -> member_expr
    | lvalue "[" expr "]" -> index_expr
    | lvalue "[" expr ":" expr "]" -> slice_expr

// ---------------------------------------------------------------- expressions
expr_list: [expr ("," expr)*]
args: [arg ("," arg)*]
?arg: expr
    | "_" -> dontcare_arg
?expr: ternary
?ternary: lor
    | lor "?" expr ":" ternary -> ternary_expr
?lor: land | lor "||" land -> lor_expr
?land: bor | land "&&" bor -> land_expr
?bor: bxor | bor "|" bxor -> bor_expr
?bxor: band | bxor "^" band -> bxor_expr
?band: eq | band "&" eq -> band_expr
?eq: rel | eq "==" rel -> eq_expr
    | eq "!=" rel -> ne_expr
?rel: shift | rel "<" shift -> lt_expr
    | rel "<=" shift -> le_expr
    | rel ">=" shift -> ge_expr
    | rel ">" shift -> gt_expr
?shift: concat | shift "<<" concat -> shl_expr
    | shift GT_SHIFT ">" concat -> shr_expr
?concat: add | concat "++" add -> concat_expr
?add: mul | add "+" mul -> plus_expr
    | add "-" mul -> minus_expr
    | add "|+|" mul -> satplus_expr
    | add "|-|" mul -> satminus_expr
?mul: unary | mul "*" unary -> times_expr
    | mul "/" unary -> div_expr
    | mul "%" unary -> mod_expr
?unary: postfix
    | "!" unary -> not_expr
    | "~" unary -> compl_expr
    | "-" unary -> neg_expr
    | "+" unary
    | "(" type_ref ")" unary -> cast_expr
?postfix: primary
    | postfix "." member -> member_expr
    | postfix "[" expr "]" -> index_expr
    | postfix "[" expr ":" expr "]" -> slice_expr
    | postfix "(" args ")" -> call_expr
    | postfix GENERIC_LT type_args rangle "(" args ")" -> generic_call_expr
?primary: INT -> int_lit
    | "true" -> true_lit
    | "false" -> false_lit
    | STRING -> string_lit
    | IDENT -> name_expr
    | "." IDENT -> name_expr
    | KW_TYPE -> name_expr
    | KW_KEY -> name_expr
    | KW_ACTIONS -> name_expr
    | KW_ENTRIES -> name_expr
    | KW_STATE -> name_expr
    | "(" expr ")"
    | TYPE_IDENT "." member -> type_member_expr
    | ERROR "." member -> error_member_expr
    | "{" expr_list "}" -> list_expr
    | "{" "#" "}" -> invalid_expr
    | named_type "(" args ")" -> ctor_expr

INT: /\d+[ws]0[xX][0-9a-fA-F_]+|\d+[ws]0[bB][01_]+|\d+[ws]0[oO][0-7_]+|\d+[ws]0[dD][0-9_]+|\d+[ws]\d[\d_]*|0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[dD][0-9_]+|\d[\d_]*/
STRING: /"(\\.|[^"\\])*"/
IDENT: /[A-Za-z_][A-Za-z0-9_]*/
TYPE_IDENT: /\$type\$/
COMMENT: /\/\/[^\n]*/ | /\/\*(.|\n)*?\*\//
%import common.WS
%ignore WS
%ignore COMMENT
"""
