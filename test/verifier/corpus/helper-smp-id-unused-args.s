; helpers without arguments ignore R1-R5
; result: accept
call bpf_get_smp_processor_id
exit
